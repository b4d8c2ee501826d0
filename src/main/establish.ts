/**
 * Takes one connection of a pool from its start to established (protocol.md §11.2): the
 * handshake on the engine, then on main the accept policy and the user's hook, then accept or
 * nack, all under the connection's lifecycle and deadline (connection-lifecycle.ts). Every
 * failure is counted once, greylisting where protocol.md §10.2 says, and rejects that
 * connection only.
 */
import {
  AlreadyConnectedError,
  P2pError,
  PolicyFailedError,
  PoolClosedError,
  RejectedError,
  RejectedNoCommonProtocolError,
  TooManyConnectionsError,
} from '../shared/errors.ts';
import type { ConnectionInfo } from '../shared/session/handshake.ts';
import type { PendingMessageBudget } from '../shared/session/pending-message-budget.ts';
import type { LocalVersions } from '../shared/wire/network-version.ts';
import { canonicalHost, type Point } from '../shared/wire/point.ts';
import { MOTIVE, motiveName } from '../shared/wire/rejection.ts';
import { defaultPolicy, type PolicyDecision, type PolicyHook, type PolicyView } from './accept-policy.ts';
import type { AddressList } from './address-list.ts';
import type { AuthenticatedConnection } from './authenticated-connection.ts';
import { bytesCodec, type MessageCodec } from './codecs.ts';
import type { Connection } from './connection.ts';
import type { ConnectionLifecycle } from './connection-lifecycle.ts';
import type { ConnectionRegistry } from './connection-registry.ts';
import type { Attempt } from './pool-engine.ts';
import type { PoolOptions } from './pool-options.ts';
import type { PoolRefusals } from './pool-refusals.ts';
import type { PoolTally } from './pool-stats.ts';
import type { Refusal } from './refusal.ts';
import { OPTIONS_CHECKED, validateAcceptOptions } from './validate-options.ts';

/** Errors after which the peer's address is greylisted (protocol.md §10.2). */
const GREYLISTING_CODES = new Set([
  'NOT_ENOUGH_PROOF_OF_WORK',
  'INVALID_AUTH',
  'DECIPHER_ERROR',
  'INVALID_MESSAGE_SIZE',
  'ENCODING_ERROR',
  'DECODING_ERROR',
  'INVALID_CHUNKS_SIZE',
]);

const MAX_NACK_POINTS = 50;

/**
 * Points a Nack can carry: literal IP addresses only (protocol.md §8.3). A peer dialled by host
 * name, or an IPv6 address with a zone id, has no point text the peer could parse; offering one
 * made the Nack unencodable.
 */
function nackablePoints(points: readonly Point[]): Point[] {
  const literal: Point[] = [];
  for (const point of points) {
    const host = canonicalHost(point.host);
    if (host === undefined || !Number.isInteger(point.port) || point.port < 0 || point.port > 0xffff) continue;
    literal.push({ host, port: point.port });
  }
  return literal;
}

/**
 * What the side that sent a Nack reports (protocol.md §11.2 step 6): we refused, with `reason`
 * (the peer's side sees REJECTED_BY_NACK).
 */
function nackedError(motive: number, info: ConnectionInfo<unknown>, reason: string): P2pError {
  if (motive === MOTIVE.UNKNOWN_CHAIN_NAME || motive === MOTIVE.DEPRECATED_P2P_VERSION || motive === MOTIVE.DEPRECATED_DISTRIBUTED_DB_VERSION) {
    return new RejectedNoCommonProtocolError(motive, info.announcedVersion);
  }
  const message = `we nacked peer ${info.peerId} (${motiveName(motive)}): ${reason}`;
  if (motive === MOTIVE.TOO_MANY_CONNECTIONS) return new TooManyConnectionsError(message);
  if (motive === MOTIVE.ALREADY_CONNECTED) return new AlreadyConnectedError(message);
  return new RejectedError(message);
}

/** What an Establisher shares with its pool. */
export interface EstablisherParts<Msg, Meta> {
  readonly options: PoolOptions<Msg, Meta>;
  readonly versions: LocalVersions;
  readonly registry: ConnectionRegistry<Msg, Meta>;
  readonly tally: PoolTally;
  readonly refusals: PoolRefusals;
  readonly bannedPeers: AddressList;
  readonly pendingMessageBudget: PendingMessageBudget;
  /** Whether the pool is closed: nothing more is accepted. */
  readonly isClosed: () => boolean;
}

export class Establisher<Msg, Meta> {
  /** Connections not yet established, in either direction: a closing pool stops them. */
  readonly opening = new Set<ConnectionLifecycle>();
  private readonly parts: EstablisherParts<Msg, Meta>;
  private readonly trusted: Set<string>;
  /** Failures already counted where they were decided (nack, close), not again by `establish`. */
  private readonly counted = new WeakSet<object>();
  private readonly view: PolicyView;

  constructor(parts: EstablisherParts<Msg, Meta>) {
    this.parts = parts;
    this.trusted = new Set(parts.options.trustedPeers ?? []);
    this.view = this.makeView();
  }

  /** Established connections above which peers are nacked TOO_MANY_CONNECTIONS. */
  get maxConnections(): number {
    return this.parts.options.maxConnections ?? 100;
  }

  /**
   * Runs one connection's lifecycle up to established (connection-lifecycle.ts): authenticate,
   * policy, then accept or nack. Every failure is counted once (greylisting as protocol.md §10.2
   * says) and rejects this connection only.
   */
  async establish(lifecycle: ConnectionLifecycle, host: string, start: () => Attempt<Meta>): Promise<Connection<Msg, Meta>> {
    this.opening.add(lifecycle);
    try {
      let attempt: Attempt<Meta> | undefined;
      const auth = await lifecycle.step(
        lifecycle.state,
        () => (attempt = start()).authenticated,
        () => attempt?.abandon(),
        () => attempt?.waitingFor() ?? 'the handshake did not start',
      );
      let conn: Connection<Msg, Meta>;
      try {
        conn = await this.decide(auth, lifecycle);
      } catch (error) {
        // Whatever failed after authentication (a hook, a nack, accept), the socket goes with it.
        void auth.close().catch(() => undefined);
        throw error;
      }
      lifecycle.established();
      return conn;
    } catch (error) {
      if (!this.counted.has(error as object)) this.countFailure(error, host);
      throw error;
    } finally {
      lifecycle.closed();
      this.opening.delete(lifecycle);
    }
  }

  /** Policy, then accept / nack / close; registers the connection (protocol.md §11.2). */
  private async decide(auth: AuthenticatedConnection<Meta>, lifecycle: ConnectionLifecycle): Promise<Connection<Msg, Meta>> {
    const { info } = auth;
    const { options, registry, tally, refusals } = this.parts;
    // Every failure below closes `auth` in `establish`; `close` is what a deadline or abort does mid-step.
    const close = (): void => void auth.close().catch(() => undefined);
    if (this.parts.isClosed()) throw new PoolClosedError();
    let decision: PolicyDecision = defaultPolicy(info, this.view);
    let byHook = false;
    const hook = options.policy;
    if (decision.action === 'accept' && hook) {
      const accepted = decision;
      const hooked = await lifecycle.step('authenticated', () => runHook(hook, info, accepted), close);
      byHook = hooked !== undefined && hooked.action !== 'accept';
      decision = hooked ?? decision;
    }
    if (decision.action === 'close') {
      this.counted.add(decision.error);
      tally.count(decision.error.code);
      refusals.policyRefused(info, decision.error.code as Refusal['code'], decision.error.message, undefined, byHook);
      throw decision.error;
    }
    if (decision.action === 'nack') {
      const { motive } = decision;
      const points = nackablePoints(decision.points ?? []).slice(0, MAX_NACK_POINTS);
      // Counted and reported when decided: the peer may have read the Nack before sending it ends.
      tally.counters.nacked++;
      const reason = decision.reason ?? (byHook ? `the policy hook nacked it with motive ${motiveName(motive)}` : `nacked with motive ${motiveName(motive)}`);
      const error = nackedError(motive, info, reason);
      this.counted.add(error);
      tally.count(error.code);
      refusals.policyRefused(info, error.code as Refusal['code'], error.message, motive, byHook);
      await lifecycle.step('closing', () => auth.nack(motive, points).catch(() => undefined), close);
      throw error;
    }
    registry.addPeer(info.peerId, 1);
    registry.accepting++;
    try {
      const acceptOptions = {
        ...options.accept,
        pendingMessageBudget: this.parts.pendingMessageBudget,
        codec: options.codec ?? (bytesCodec as unknown as MessageCodec<Msg>),
        negotiatedVersion: decision.version,
        [OPTIONS_CHECKED]: true as const,
      };
      const conn = await lifecycle.step('accepting', () => auth.accept<Msg>(acceptOptions), close);
      if (this.parts.isClosed()) {
        // The pool closed while this one was being accepted: it must not outlive the pool.
        void conn.close();
        throw new PoolClosedError();
      }
      tally.counters.accepted++;
      registry.register(conn);
      return conn;
    } catch (error) {
      registry.addPeer(info.peerId, -1);
      throw error;
    } finally {
      registry.accepting--;
    }
  }

  /**
   * What the default policy reads of the pool (`view`): one object for every decision, whose
   * fields read the pool when the policy asks (it decides synchronously), not a snapshot with its
   * closures per handshake.
   */
  private makeView(): PolicyView {
    const { parts, trusted } = this;
    const { options, registry, bannedPeers } = parts;
    const maxConnections = (): number => this.maxConnections;
    return {
      get versions() {
        return parts.versions;
      },
      get activeConnections() {
        return registry.taken;
      },
      get maxConnections() {
        return maxConnections();
      },
      isPeerConnected: (peerId) => !options.allowDuplicatePeers && registry.hasPeer(peerId),
      isPeerRefused: (peerId) => bannedPeers.refuses(peerId),
      get privateMode() {
        return options.privateMode ?? false;
      },
      isTrusted: (info) => trusted.has(info.peerId),
      alternativePoints: () => (options.disablePeerDiscovery ? [] : this.knownPoints()),
    };
  }

  /** Up to 50 public points (literal IPs) of connected peers that announced a listening port. */
  private knownPoints(): Point[] {
    const points: Point[] = [];
    for (const conn of this.parts.registry.active) {
      const { idPoint, privateNode } = conn.info;
      if (privateNode || idPoint.port === undefined) continue;
      points.push(...nackablePoints([{ host: idPoint.host, port: idPoint.port }]));
      if (points.length >= MAX_NACK_POINTS) break;
    }
    return points;
  }

  private countFailure(error: unknown, host: string): void {
    this.parts.tally.counters.failed++;
    if (!(error instanceof P2pError)) return;
    this.parts.tally.count(error.code);
    if (GREYLISTING_CODES.has(error.code)) this.parts.refusals.greylist(host, error.code, `its handshake failed: ${error.message}`, 'greylistMs');
  }
}

/**
 * The user's hook; what it throws becomes this connection's POLICY_FAILED, and so does an accept
 * with a malformed version of its own: the accept that follows skips the option check (the
 * pool's own accept options were checked when it was built), so the hook's version is checked here.
 */
async function runHook<Meta>(hook: PolicyHook<Meta>, info: ConnectionInfo<Meta>, decision: Extract<PolicyDecision, { action: 'accept' }>): Promise<PolicyDecision | undefined> {
  let hooked: PolicyDecision | undefined;
  try {
    hooked = await hook(info, decision);
    if (hooked?.action === 'accept' && hooked.version !== decision.version) validateAcceptOptions({ negotiatedVersion: hooked.version });
  } catch (error) {
    throw new PolicyFailedError(`policy hook failed for ${info.peerId}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  return hooked;
}
