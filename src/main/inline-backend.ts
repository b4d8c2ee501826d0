/**
 * The inline engine: the session runs on this thread (`workers: 0`, and plain `authenticate`).
 */
import { acceptSession, nackSession, type HandshakeState } from '../shared/session/accept-session.ts';
import type { HandshakeBackend } from './session-backend.ts';

export function inlineHandshakeBackend(state: HandshakeState, peerP2pVersion: number): HandshakeBackend {
  return {
    accept: (limits, watch) => acceptSession(state, limits, watch),
    nack: (motive, points) => nackSession(state, peerP2pVersion, motive, points),
    close: () => state.transport.close(),
  };
}
