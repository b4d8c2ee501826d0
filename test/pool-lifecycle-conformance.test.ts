/**
 * The lifecycle contract between the two backends (architecture.md §4): every case runs against
 * `workers: 0` and `workers: 2` from this one file. Each waiting state of a connection has a
 * deadline, every exit leaves nothing behind in `pool.stats()`, and a failure while serving one
 * connection stays with that connection.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from '../src/main/connect.ts';
import type { Connection } from '../src/main/connection.ts';
import type { Pool, PoolOptions } from '../src/main/pool.ts';
import type { Identity } from '../src/shared/identity.ts';
import { emptyMetadataConfig } from '../src/shared/wire/metadata.ts';
import { MOTIVE } from '../src/shared/wire/rejection.ts';
import { handshakeOptions, loopback, makeIdentity, NODE_VERSION, rawClient, settle } from './support/fixtures.ts';
import { makePool, MODES } from './support/pools.ts';
import { ScriptedPeer } from './support/scripted-peer.ts';

/** Long enough for a whole handshake on a loaded 2-core machine, so each stall is where the test puts it. */
const HANDSHAKE_TIMEOUT = 1000;
/** What "closed within the timeout" allows on a loaded 2-core machine. */
const SLACK = 1000;

/** Resolves with the milliseconds until `socket` closes, or rejects past `limit`. */
async function closesWithin(socket: Socket, limit: number): Promise<number> {
  const started = Date.now();
  if (!socket.closed) {
    socket.resume(); // read and drop whatever the pool sends, so its FIN is seen
    await Promise.race([once(socket, 'close'), sleep(limit).then(() => assert.fail(`socket still open after ${limit} ms`))]);
  }
  return Date.now() - started;
}

/** Nothing of a connection is left: no handshake, no connection, on main or on any shard. */
async function assertNothingLeft(pool: Pool<Uint8Array, undefined>): Promise<void> {
  // The pool's bookkeeping settles in the turns after the socket closes.
  for (let i = 0; i < 50; i++) {
    const s = pool.stats();
    const onShards = await pool.shardConnectionStates();
    if (
      s.handshakesInFlight === 0 &&
      s.connections === 0 &&
      s.shards.every((shard) => shard.connections === 0 && shard.handshakes === 0) &&
      onShards.every((states) => Object.keys(states).length === 0)
    ) {
      return;
    }
    await sleep(20);
  }
  assert.deepEqual(await pool.shardConnectionStates(), pool.stats().shards.map(() => ({})), 'a shard still holds a connection');
  assert.deepEqual(pool.stats(), { ...pool.stats(), handshakesInFlight: 0, connections: 0 }, 'records left in pool.stats()');
  assert.fail(`a shard still holds a record: ${JSON.stringify(pool.stats().shards)}`);
}

/** One connection from `client` to `server`: the client's end and the server's. */
async function connectPeers(server: Pool<Uint8Array, undefined>, client: Pool<Uint8Array, undefined>): Promise<{ conn: Connection<Uint8Array, undefined>; peer: Connection<Uint8Array, undefined> }> {
  const { port } = await server.listen();
  const incoming = server.connections()[Symbol.asyncIterator]().next();
  const conn = await client.connect({ host: '127.0.0.1', port });
  const peer = (await incoming).value as Connection<Uint8Array, undefined>;
  return { conn, peer };
}

/** A raw responder that exchanges connection messages and metadata, then stays silent. */
async function respondThroughMetadata(socket: Socket): Promise<ScriptedPeer> {
  const peer = new ScriptedPeer(socket);
  const identity = makeIdentity(1);
  peer.sendConnectionMessage(identity, { version: NODE_VERSION });
  await peer.readConnectionMessage(identity, true);
  peer.sendChunk(Buffer.alloc(0));
  await peer.readChunk(); // their metadata
  return peer;
}

for (const { name, workers } of MODES) {
  // -------------------------------------------------------------- stalled peers (incoming)

  /** How far a raw peer (not the library's client) goes before it stops talking. */
  const stalls = [
    { stage: 'sends nothing', play: async () => undefined },
    {
      stage: 'stalls after its connection message',
      play: async (peer: ScriptedPeer, identity: Identity) => {
        peer.sendConnectionMessage(identity, { version: NODE_VERSION });
        await peer.readConnectionMessage(identity);
      },
    },
    {
      stage: 'sends connection message and metadata, then never its Ack,',
      play: async (peer: ScriptedPeer, identity: Identity) => {
        peer.sendConnectionMessage(identity, { version: NODE_VERSION });
        await peer.readConnectionMessage(identity);
        peer.sendChunk(Buffer.alloc(0)); // empty metadata
        await peer.readChunk(); // theirs; the pool then accepts and sends its Ack
      },
    },
  ];
  for (const { stage, play } of stalls) {
    test(`${name}: a raw peer that ${stage} is closed within handshakeTimeout + 1 s; nothing is left`, async () => {
      const pool = makePool(workers, { handshakeTimeout: HANDSHAKE_TIMEOUT });
      try {
        const { port } = await pool.listen();
        await pool.ready(); // the deadline should not be spent starting workers
        const started = Date.now();
        const peer = new ScriptedPeer(await rawClient(port));
        await play(peer, makeIdentity(1));
        await closesWithin(peer.socket, HANDSHAKE_TIMEOUT + SLACK);
        assert.ok(Date.now() - started <= HANDSHAKE_TIMEOUT + SLACK, `closed after ${Date.now() - started} ms`);
        await assertNothingLeft(pool);
        assert.equal(pool.stats().errors['TIMEOUT'], 1);
      } finally {
        await pool.close();
      }
    });
  }

  test(`${name}: a connection awaiting its Ack counts against maxConnections`, async () => {
    const pool = makePool(workers, { maxConnections: 1, handshakeTimeout: 5000 });
    try {
      const { port } = await pool.listen();
      await pool.ready();
      const staller = new ScriptedPeer(await rawClient(port));
      await stalls[2]!.play(staller, makeIdentity(1)); // accepted by the pool, our Ack withheld
      const second = await settle(connect('127.0.0.1', port, { ...handshakeOptions(makeIdentity(1), NODE_VERSION) }).then((auth) => auth.accept()));
      assert.equal(!second.ok && second.error.code, 'REJECTED_BY_NACK');
      assert.equal((second as unknown as { error: { motive: number } }).error.motive, MOTIVE.TOO_MANY_CONNECTIONS);
      staller.socket.destroy();
    } finally {
      await pool.close();
    }
  });

  // -------------------------------------------------------------- a peer that leaves

  test(`${name}: a peer that leaves while the reader is slow is reported at once; reads get the buffered messages, then CONNECTION_CLOSED`, async () => {
    const server = makePool(workers, { accept: { incomingMessageQueueSize: 16 * 1024 } });
    const client = makePool(0);
    try {
      const { conn, peer } = await connectPeers(server, client);
      const COUNT = 40;
      for (let i = 0; i < COUNT; i++) assert.equal(conn.writeNow(Buffer.alloc(1024, i)), true);
      await conn.close({ wait: true });
      // Nothing read yet: the end is reported anyway, and the slot is free.
      await Promise.race([peer.ended, sleep(3000).then(() => assert.fail('the end was not reported while messages were unread'))]);
      assert.equal(peer.closed, true);
      for (let i = 0; i < 50 && server.stats().connections > 0; i++) await sleep(20);
      assert.equal(server.stats().connections, 0);
      let got = 0;
      for (;;) {
        const outcome = await settle(peer.read({ signal: AbortSignal.timeout(3000) }));
        if (!outcome.ok) {
          assert.equal(outcome.error.code, 'CONNECTION_CLOSED');
          break;
        }
        assert.equal(outcome.value.message[0], got % 256);
        got++;
      }
      assert.equal(got, COUNT);
    } finally {
      await client.close();
      await server.close();
    }
  });

  // -------------------------------------------------------------- aborts (outgoing)

  /**
   * The pool dials a raw peer on 127.0.0.1 that `play`s its side on the accepted socket and
   * returns the socket to watch; `code` is what the dial must fail with, `abort` whether the
   * connect's AbortSignal fires once `play` is done.
   */
  const outgoing = [
    // No `play`: aborted before the TCP connection is even accepted.
    { stage: 'abort during dial', code: 'ABORTED', abort: true, options: {}, play: undefined },
    {
      stage: 'abort during authenticate',
      code: 'ABORTED',
      abort: true,
      options: {},
      play: async (socket: Socket) => {
        socket.resume();
        await sleep(100); // our connection message is out; the peer never answers
        return socket;
      },
    },
    {
      stage: "abort while awaiting the peer's Ack",
      code: 'ABORTED',
      abort: true,
      options: {},
      play: async (socket: Socket) => {
        const peer = await respondThroughMetadata(socket);
        await peer.readChunk(); // their Ack: the pool accepted and now waits for ours
        return peer.socket;
      },
    },
    {
      stage: 'abort while the policy hook decides',
      code: 'ABORTED',
      abort: true,
      options: { policy: () => new Promise<undefined>(() => undefined) },
      play: async (socket: Socket, hookCalled: Promise<void>) => {
        const peer = await respondThroughMetadata(socket);
        await hookCalled; // the pool's policy hook now runs, and never answers
        return peer.socket;
      },
    },
    {
      stage: 'a peer that never sends its Ack, at connectTimeout',
      code: 'TIMEOUT',
      abort: false,
      options: { connectTimeout: HANDSHAKE_TIMEOUT },
      play: async (socket: Socket) => (await respondThroughMetadata(socket)).socket,
    },
  ];
  for (const { stage, code, abort, options, play } of outgoing) {
    test(`${name}: outgoing, ${stage}: rejects with ${code}, the socket is closed, nothing is left`, async () => {
      let called!: () => void;
      const hookCalled = new Promise<void>((resolve) => (called = resolve));
      const { policy } = options as { policy?: NonNullable<PoolOptions<Uint8Array, undefined>['policy']> };
      // The hook, if any, tells the peer script when it runs.
      const watched: PoolOptions<Uint8Array, undefined>['policy'] = policy
        ? (...args) => {
            called();
            return policy(...args);
          }
        : undefined;
      const pool = makePool(workers, { ...options, ...(watched ? { policy: watched } : {}) });
      const responder = await loopback();
      await pool.ready();
      try {
        const controller = new AbortController();
        const attempt = settle(pool.connect({ host: '127.0.0.1', port: responder.port }, { signal: controller.signal }));
        const socket = play ? await play(await responder.accepted(), hookCalled) : undefined;
        if (abort) controller.abort();
        const outcome = await attempt;
        assert.equal(!outcome.ok && outcome.error.code, code);
        if (socket) await closesWithin(socket, SLACK);
        await assertNothingLeft(pool);
      } finally {
        await pool.close();
        await responder.close();
      }
    });
  }

  // -------------------------------------------------------------- policy hooks

  test(`${name}: a throwing policy hook ends that connection (closed, counted), not the pool`, async () => {
    const pool = makePool(workers, { handshakeTimeout: 5000, policy: () => { throw new Error('hook bug'); } });
    const errors: Error[] = [];
    pool.on('error', (error) => errors.push(error));
    try {
      const { port } = await pool.listen();
      await pool.ready(); // the deadline should not be spent starting workers
      const started = Date.now();
      const outcome = await settle(connect('127.0.0.1', port, { ...handshakeOptions(makeIdentity(1), NODE_VERSION) }).then((auth) => auth.accept()));
      assert.equal(!outcome.ok && outcome.error.code, 'REJECTED_SOCKET_CONNECTION');
      assert.ok(Date.now() - started < 2000, 'closed at once, not at the deadline');
      await assertNothingLeft(pool);
      assert.equal(pool.stats().errors['POLICY_FAILED'], 1);
      assert.equal(errors.length, 0, 'a hook failure belongs to its connection');
    } finally {
      await pool.close();
    }
  });

  test(`${name}: a policy hook that never answers ends the connection at handshakeTimeout`, async () => {
    const pool = makePool(workers, { handshakeTimeout: HANDSHAKE_TIMEOUT, policy: () => new Promise(() => undefined) });
    try {
      const { port } = await pool.listen();
      await pool.ready(); // the deadline should not be spent starting workers
      const started = Date.now();
      const outcome = await settle(connect('127.0.0.1', port, { ...handshakeOptions(makeIdentity(1), NODE_VERSION), timeout: 10_000 }).then((auth) => auth.accept()));
      assert.equal(!outcome.ok && outcome.error.code, 'REJECTED_SOCKET_CONNECTION');
      assert.ok(Date.now() - started <= HANDSHAKE_TIMEOUT + SLACK, `closed after ${Date.now() - started} ms`);
      await assertNothingLeft(pool);
      assert.equal(pool.stats().errors['TIMEOUT'], 1);
    } finally {
      await pool.close();
    }
  });

  test(`${name}: a metadata codec that throws ends that connection with DECODING_ERROR, not the pool`, async () => {
    const refusing = { ...emptyMetadataConfig, codec: { ...emptyMetadataConfig.codec, decode: (): undefined => { throw new Error('codec bug'); } } };
    const pool = makePool(workers, { metadata: refusing });
    try {
      const { port } = await pool.listen();
      await pool.ready();
      const outcome = await settle(connect('127.0.0.1', port, { ...handshakeOptions(makeIdentity(1), NODE_VERSION) }).then((auth) => auth.accept()));
      assert.equal(outcome.ok, false);
      await assertNothingLeft(pool);
      assert.equal(pool.stats().errors['DECODING_ERROR'], 1);
      assert.ok(pool.stats().shards.every((shard) => shard.restarts === 0 && shard.alive), 'no shard died');
    } finally {
      await pool.close();
    }
  });

  // -------------------------------------------------------------- Nack points

  test(`${name}: a Nack offers only literal IP points (host names and zoned IPv6 are dropped)`, async () => {
    const points = [
      { host: 'localhost', port: 1 },
      { host: 'fe80::1%eth0', port: 2 },
      { host: 'example.invalid', port: 3 },
      { host: '10.0.0.1', port: 4 },
      { host: '::1', port: 5 },
    ];
    const pool = makePool(workers, { policy: () => ({ action: 'nack', motive: MOTIVE.TOO_MANY_CONNECTIONS, points }) });
    try {
      const { port } = await pool.listen();
      await pool.ready(); // the deadline should not be spent starting workers
      const outcome = await settle(connect('127.0.0.1', port, { ...handshakeOptions(makeIdentity(1), NODE_VERSION) }).then((auth) => auth.accept()));
      assert.equal(!outcome.ok && outcome.error.code, 'REJECTED_BY_NACK');
      const nack = outcome.ok ? assert.fail() : (outcome.error as unknown as { motive: number; alternativePoints: string[] });
      assert.equal(nack.motive, MOTIVE.TOO_MANY_CONNECTIONS);
      assert.deepEqual(nack.alternativePoints, ['10.0.0.1:4', '[::1]:5']);
      assert.ok(pool.stats().shards.every((shard) => shard.restarts === 0), 'no shard died');
    } finally {
      await pool.close();
    }
  });

  test(`${name}: a duplicate of a peer dialled by host name gets Nack ALREADY_CONNECTED; the pool keeps serving`, async () => {
    const a = makePool(workers);
    const bIdentity = makeIdentity(1);
    const b = makePool(0, { identity: bIdentity });
    try {
      const { port: portA } = await a.listen();
      const { port: portB } = await b.listen();
      const toB = await a.connect({ host: 'localhost', port: portB });
      assert.equal(toB.info.idPoint.host, 'localhost');
      const duplicate = await settle(connect('127.0.0.1', portA, { ...handshakeOptions(bIdentity, NODE_VERSION) }).then((auth) => auth.accept()));
      assert.equal(!duplicate.ok && duplicate.error.code, 'REJECTED_BY_NACK', !duplicate.ok ? duplicate.error.message : '');
      const nack = duplicate.ok ? assert.fail() : (duplicate.error as unknown as { motive: number; alternativePoints: string[] });
      assert.equal(nack.motive, MOTIVE.ALREADY_CONNECTED);
      assert.deepEqual(nack.alternativePoints, []);
      assert.ok(a.stats().shards.every((shard) => shard.restarts === 0), 'no shard died');
      // The first connection still works.
      const incoming = b.connections()[Symbol.asyncIterator]().next();
      await toB.write(Buffer.from('still here'));
      const atB = (await incoming).value as Connection<Uint8Array, undefined>;
      assert.equal(Buffer.from((await atB.read()).message).toString(), 'still here');
    } finally {
      await a.close();
      await b.close();
    }
  });

  // -------------------------------------------------------------- reading under a small incoming bound

  test(`${name}: a slow reader under a small incoming bound gets every message, in order, whatever its size`, async () => {
    // Credit goes back to a shard in batches (remote-session.ts); with a 3 KiB bound the batch is
    // smaller than most messages, and bodies of 16 KiB and more cross as transferred buffers.
    const server = makePool(workers, { accept: { incomingMessageQueueSize: 3000 } });
    const client = makePool(0);
    try {
      const { conn, peer } = await connectPeers(server, client);
      const sizes = Array.from({ length: 120 }, (_, i) => [0, 1, 100, 2000, 5000, 20_000][i % 6]!);
      const sending = (async () => {
        for (const [i, size] of sizes.entries()) await conn.write(Buffer.alloc(size, i % 256));
      })();
      for (const [i, size] of sizes.entries()) {
        if (i % 10 === 0) await sleep(5); // the shard fills the bound and waits for credit
        const { message } = await peer.read({ signal: AbortSignal.timeout(5000) });
        assert.equal(message.length, size, `message ${i}`);
        if (size > 0) assert.equal(message[size - 1], i % 256, `message ${i}`);
      }
      await sending;
      assert.equal(peer.readNow(), undefined);
    } finally {
      await client.close();
      await server.close();
    }
  });

  // -------------------------------------------------------------- close with traffic queued

  test(`${name}: close while messages are queued both ways ends everything; nothing is left`, async () => {
    const server = makePool(workers, { accept: { incomingMessageQueueSize: 64 * 1024, outgoingMessageQueueSize: 1 << 20 } });
    const client = makePool(workers, { accept: { incomingMessageQueueSize: 64 * 1024, outgoingMessageQueueSize: 1 << 20 } });
    try {
      const { port } = await server.listen();
      const incoming = server.connections()[Symbol.asyncIterator]().next();
      const conn = await client.connect({ host: '127.0.0.1', port });
      const peer = (await incoming).value as Connection<Uint8Array, undefined>;
      const message = Buffer.alloc(32 * 1024, 1);
      for (let i = 0; i < 200 && conn.writeNow(message); i++);
      for (let i = 0; i < 200 && peer.writeNow(message); i++);
      const closing = Promise.all([server.close(), client.close()]);
      await Promise.race([closing, sleep(5000).then(() => assert.fail('close did not finish'))]);
      await Promise.race([Promise.all([conn.ended, peer.ended]), sleep(3000).then(() => assert.fail('connections not ended'))]);
      assert.equal(conn.closed && peer.closed, true);
      assert.equal(server.stats().connections + client.stats().connections, 0);
    } finally {
      await client.close();
      await server.close();
    }
  });

  // -------------------------------------------------------------- stats and errors

  test(`${name}: stat() counts each connection's own traffic`, async () => {
    const server = makePool(workers, { allowDuplicatePeers: true });
    const client = makePool(0, { allowDuplicatePeers: true });
    try {
      const { port } = await server.listen();
      const peers: Connection<Uint8Array, undefined>[] = [];
      server.on('connection', (conn) => peers.push(conn));
      await client.connect({ host: '127.0.0.1', port });
      for (let i = 0; i < 100 && peers.length < 1; i++) await sleep(10);
      const busy = await client.connect({ host: '127.0.0.1', port });
      for (let i = 0; i < 100 && peers.length < 2; i++) await sleep(10);
      const [quietPeer, busyPeer] = peers;
      for (let i = 0; i < 10; i++) await busy.writeSync(Buffer.alloc(10_000));
      for (let i = 0; i < 10; i++) await busyPeer!.read({ signal: AbortSignal.timeout(3000) });
      await sleep(600); // the shard refreshes received totals a few times a second
      assert.ok(busyPeer!.stat().totalRecv > 100_000, `busy: ${busyPeer!.stat().totalRecv}`);
      assert.ok(quietPeer!.stat().totalRecv < 1000, `quiet: ${quietPeer!.stat().totalRecv}`);
    } finally {
      await client.close();
      await server.close();
    }
  });

  test(`${name}: listening on a port in use rejects; the pool keeps working`, async () => {
    const first = makePool(workers);
    const second = makePool(workers);
    try {
      const { port } = await first.listen();
      const outcome = await settle(second.listen({ port }));
      assert.equal(outcome.ok, false);
      assert.equal((outcome as { error: { code?: string } }).error.code, 'EADDRINUSE');
      const conn = await second.connect({ host: '127.0.0.1', port });
      assert.ok(conn);
    } finally {
      await second.close();
      await first.close();
    }
  });
}
