/**
 * How a generator reaches its target: the public `connect` API, with the versions and metadata a
 * node announces, and dials the target refused tried again after a growing pause.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { connect, nodeMetadataConfig, P2pError, type Connection, type Identity, type MessageCodec, type NodeMetadata } from '../../main/index.ts';
import { announcedVersion, nodeLocalVersions } from '../../wire/index.ts';
import type { GeneratorSpec } from './generator-spec.ts';

/**
 * A dial the target closes before answering is refused, not failed: a node past its incoming
 * handshakes in flight closes new sockets at once (protocol.md §11.4), and a Pool admits only part
 * of them from one address, which is where all our dials come from. Such a peer is dialled again,
 * after a pause that doubles, so the run still reaches `connections`: without it, a default
 * `listen --workers 2` left 20 of 60 peers unopened (test/load-cli.test.ts).
 */
const REFUSED_DIAL_RETRIES = 5;
const REFUSED_DIAL_PAUSE_MS = 50;

/**
 * Dials and accepts with `codec`. Port 0 is announced (no point for the target to dial back or
 * to collide on: a node refuses a second connection from one announced point); node mode announces disable_mempool, so a node's
 * Current_head carries no mempool.
 */
export async function dialTarget<Msg>(spec: GeneratorSpec, identity: Identity, codec: MessageCodec<Msg>): Promise<Connection<Msg, NodeMetadata>> {
  const started = Date.now();
  const auth = await connect(spec.host, spec.port, {
    identity,
    announcedVersion: announcedVersion(nodeLocalVersions(spec.chain)),
    metadata: nodeMetadataConfig({ disableMempool: spec.node !== undefined, privateNode: false }),
    // We take the target as it is: its proof of work is not what is being measured.
    proofOfWorkDifficulty: 0,
    timeout: spec.timeout,
  });
  return auth.accept({ codec, timeout: Math.max(1, spec.timeout - (Date.now() - started)) });
}

/**
 * Runs `attempt` until it succeeds, fails other than by a refusal, runs out of retries or
 * `running` turns false; every failed attempt goes to `onFailure`.
 */
export async function dialWithRetries(attempt: () => Promise<void>, onFailure: (error: unknown) => void, running: () => boolean): Promise<void> {
  for (let tries = 0; ; tries++) {
    try {
      await attempt();
      return;
    } catch (error) {
      // Every failed attempt is counted; only a refused one is tried again (REFUSED_DIAL_RETRIES).
      onFailure(error);
      const refused = error instanceof P2pError && error.code === 'CONNECTION_CLOSED';
      if (!refused || tries >= REFUSED_DIAL_RETRIES || !running()) return;
      await sleep(REFUSED_DIAL_PAUSE_MS * 2 ** tries);
      if (!running()) return;
    }
  }
}
