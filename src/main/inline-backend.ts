/**
 * The inline engine: the session runs on this thread (`workers: 0`, and plain `authenticate`).
 */
import { acceptSession, nackSession, type HandshakeState } from '../shared/session/accept-session.ts';
import { ENGINE_INCOMING_QUEUE } from '../shared/session/byte-engine.ts';
import { DirectLink } from './direct-link.ts';
import { MessageQueues } from './message-queues.ts';
import type { HandshakeBackend } from './session-backend.ts';

export function inlineHandshakeBackend(state: HandshakeState, peerP2pVersion: number): HandshakeBackend {
  return {
    accept: async (limits, watch) => {
      // The engine's own queue is small and its outgoing side unbounded: the queues bound both.
      const engine = await acceptSession(state, { ...limits, incomingQueueSize: ENGINE_INCOMING_QUEUE, outgoingQueueSize: Number.POSITIVE_INFINITY }, watch);
      return new MessageQueues(new DirectLink(engine, limits.incomingQueueSize), limits);
    },
    nack: (motive, points) => nackSession(state, peerP2pVersion, motive, points),
    close: () => state.transport.close(),
  };
}
