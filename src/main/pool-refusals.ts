/**
 * How a pool tells what it turned away: the `'refused'` event of a socket closed before its
 * handshake or of a connection the policy nacked or closed, and greylisting with its
 * `'greylisted'` event (refusal.ts has the events' shapes, protocol.md §10.2 the greylisting).
 */
import type { ConnectionInfo } from '../shared/session/handshake.ts';
import type { AddressList } from './address-list.ts';
import type { AdmissionRefusal, HandshakeAdmission } from './handshake-admission.ts';
import { refusalOption, type Greylisting, type Refusal } from './refusal.ts';

/** The pool's side of the two events: each is described only when someone listens. */
export interface RefusalListeners {
  listens(event: 'refused' | 'greylisted'): boolean;
  refused(refusal: Refusal): void;
  greylisted(greylisting: Greylisting): void;
}

export class PoolRefusals {
  private readonly listeners: RefusalListeners;
  private readonly bannedAddresses: AddressList;
  private readonly admission: HandshakeAdmission;
  /** How long a greylisting lasts unless told otherwise (`greylistMs`). */
  readonly greylistMs: number;

  constructor(listeners: RefusalListeners, bannedAddresses: AddressList, admission: HandshakeAdmission, greylistMs: number) {
    this.listeners = listeners;
    this.bannedAddresses = bannedAddresses;
    this.admission = admission;
    this.greylistMs = greylistMs;
  }

  /** The `'refused'` event of a socket closed before its handshake. */
  admissionRefused(code: 'POOL_CLOSED' | 'POINT_BANNED' | AdmissionRefusal, host: string, port: number | undefined): void {
    if (this.listeners.listens('refused')) this.listeners.refused(this.admissionRefusal(code, host, port));
  }

  /** The `'refused'` event of a handshake evicted for a newcomer while every slot was taken (handshake-admission.ts). */
  evicted(host: string, port: number | undefined, reason: string): void {
    if (!this.listeners.listens('refused')) return;
    this.listeners.refused({ address: host, port, direction: 'incoming', peerId: undefined, code: 'TIMEOUT', reason, option: 'maxIncomingHandshakes', motive: undefined, until: undefined });
  }

  private admissionRefusal(code: 'POOL_CLOSED' | 'POINT_BANNED' | AdmissionRefusal, host: string, port: number | undefined): Refusal {
    const base = { address: host, port, direction: 'incoming' as const, peerId: undefined, code, motive: undefined };
    if (code === 'POOL_CLOSED') return { ...base, reason: 'the pool is closing', option: undefined, until: undefined };
    if (code !== 'POINT_BANNED') return { ...base, reason: this.admission.explain(code, host), option: refusalOption(code, undefined, false), until: undefined };
    const entry = this.bannedAddresses.entry(host);
    const until = entry?.until;
    const reason =
      until === undefined
        ? `address ${host} is banned (pool.ban); pool.unban({ address: '${host}' }) lifts it`
        : `address ${host} is greylisted until ${new Date(until).toISOString()} after ${entry?.code ?? 'a failed handshake'} (greylistMs); pool.unban({ address: '${host}' }) lifts it`;
    return { ...base, reason, option: refusalOption(code, undefined, until !== undefined), until };
  }

  /** Greylists `host` for `duration` (default `greylistMs`) after `code`, and says so on `'greylisted'`. */
  greylist(host: string, code: string, reason: string, option: Greylisting['option'], duration = this.greylistMs): void {
    // 0 turns greylisting off: the entry expires at once, and nothing is announced.
    if (duration <= 0) return;
    const now = Date.now();
    this.bannedAddresses.greylist(host, duration, now, code);
    if (this.listeners.listens('greylisted')) this.listeners.greylisted({ address: host, code, reason, until: now + duration, option });
  }

  /** The `'refused'` event of a connection the policy nacked or closed after authentication. */
  policyRefused<Meta>(info: ConnectionInfo<Meta>, code: Refusal['code'], reason: string, motive: number | undefined, byHook: boolean): void {
    if (!this.listeners.listens('refused')) return;
    this.listeners.refused({
      address: info.idPoint.host,
      port: info.remoteSocketPort,
      direction: info.incoming ? 'incoming' : 'outgoing',
      peerId: info.peerId,
      code,
      reason,
      option: byHook ? 'policy' : refusalOption(code, motive, false),
      motive,
      until: undefined,
    });
  }
}
