/**
 * A CONNECTION_CLOSED built from a socket event (or a local close nobody waits on) is made
 * without a stack trace by lowering `Error.stackTraceLimit` around its construction
 * (transport.ts `socketClosedError`). The application's setting must come back exactly as it
 * was: a number, a read-only property, or no property at all (deleting it is V8's way to turn
 * stack traces off; the lowering used to leave an own `stackTraceLimit: undefined` behind).
 * Real sockets on 127.0.0.1.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SessionTransport } from '../src/shared/session/transport.ts';
import { loopback, rawClient } from './support/fixtures.ts';

type Setting = { name: string; apply: () => void };

const SETTINGS: Setting[] = [
  { name: 'a number (the default 10)', apply: () => void (Error.stackTraceLimit = 10) },
  { name: 'a deleted property', apply: () => void Reflect.deleteProperty(Error, 'stackTraceLimit') },
  { name: 'a read-only property', apply: () => void Object.defineProperty(Error, 'stackTraceLimit', { value: 7, writable: false, configurable: true }) },
];

/** The two ways a transport builds its own CONNECTION_CLOSED: the peer's end, and a local close. */
const ENDS = [
  {
    name: "the peer's end",
    run: async (transport: SessionTransport, peer: import('node:net').Socket): Promise<unknown> => {
      peer.end();
      return transport.readExact(1).then(
        () => assert.fail('read a byte from a peer that sent none'),
        (error: unknown) => error,
      );
    },
  },
  {
    name: 'a local close',
    run: async (transport: SessionTransport): Promise<unknown> => {
      const read = transport.readExact(1).then(
        () => assert.fail('read a byte from a peer that sent none'),
        (error: unknown) => error,
      );
      await transport.close();
      return read;
    },
  },
];

for (const end of ENDS) {
  test(`${end.name}: CONNECTION_CLOSED leaves Error.stackTraceLimit as it was (a number, deleted, read-only)`, async () => {
    const saved = Object.getOwnPropertyDescriptor(Error, 'stackTraceLimit');
    const lb = await loopback();
    try {
      for (const setting of SETTINGS) {
        const peer = await rawClient(lb.port);
        peer.on('error', () => undefined);
        const socket = await lb.accepted();
        const transport = new SessionTransport(socket, 1 << 16);
        setting.apply();
        const before = Object.getOwnPropertyDescriptor(Error, 'stackTraceLimit');
        const error = await end.run(transport, peer);
        const after = Object.getOwnPropertyDescriptor(Error, 'stackTraceLimit');
        if (saved) Object.defineProperty(Error, 'stackTraceLimit', saved);
        assert.equal((error as { code?: string }).code, 'CONNECTION_CLOSED', setting.name);
        assert.deepEqual(after, before, `${setting.name}: Error.stackTraceLimit changed`);
        peer.destroy();
      }
    } finally {
      if (saved) Object.defineProperty(Error, 'stackTraceLimit', saved);
      await lb.close();
    }
  });
}
