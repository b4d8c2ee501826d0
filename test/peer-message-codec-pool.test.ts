/**
 * The peer-message codec on real connections, in both pool modes: a pool with
 * `codec: peerMessageCodec` echoes every valid vector back as a typed message, byte for byte; an
 * invalid vector ends only the connection that sent it, with a DecodingError naming the field,
 * while another connection goes on being served.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from '../src/main/connect.ts';
import { Pool } from '../src/main/pool.ts';
import { bytesCodec } from '../src/main/codecs.ts';
import { emptyMetadataConfig } from '../src/shared/wire/metadata.ts';
import { DecodingError, peerMessageCodec, type PeerMessage } from '../src/messages/index.ts';
import { handshakeOptions, makeIdentity } from './support/fixtures.ts';
import { MODES } from './support/pools.ts';
import { invalidVectors, validVectors } from './helpers/peer-message-vectors.ts';

const TIMEOUT = 20_000;

for (const { name, workers } of MODES) {
  test(`${name}: valid vectors round-trip as typed messages; an invalid one ends only its connection, naming the field`, async () => {
    const pool = new Pool<PeerMessage, undefined>({
      identity: makeIdentity(1),
      chainName: 'SANDBOXED_MAVRYK',
      metadata: emptyMetadataConfig,
      proofOfWorkDifficulty: 1,
      workers,
      allowDuplicatePeers: true,
      codec: peerMessageCodec,
    });
    const serverErrors: unknown[] = [];
    pool.on('connection', (conn) => {
      void (async () => {
        try {
          for (;;) await conn.write((await conn.read({ signal: AbortSignal.timeout(TIMEOUT) })).message);
        } catch (error) {
          serverErrors.push(error);
        }
      })();
    });
    try {
      const { port } = await pool.listen({ host: '127.0.0.1', port: 0 });
      const typed = await (await connect('127.0.0.1', port, handshakeOptions(makeIdentity(1)))).accept({ codec: peerMessageCodec });
      const raw = await (await connect('127.0.0.1', port, handshakeOptions(makeIdentity(1)))).accept({ codec: bytesCodec });

      const bad = invalidVectors.find((v) => v.path === 'Current_branch.locator.history')!;
      await raw.write(bad.bytes.subarray(4)); // the connection adds the length prefix
      await assert.rejects(raw.read({ signal: AbortSignal.timeout(TIMEOUT) }), (error: unknown) => (error as { code?: string }).code === 'CONNECTION_CLOSED');

      for (const vector of validVectors) {
        const message = peerMessageCodec.decodeFramed(vector.bytes);
        await typed.write(message);
        const echoed = (await typed.read({ signal: AbortSignal.timeout(TIMEOUT) })).message;
        assert.deepEqual(peerMessageCodec.encodeFramed(echoed), vector.reencoded ?? vector.bytes, vector.name);
      }
      const decodingErrors = serverErrors.filter((e) => e instanceof DecodingError);
      assert.equal(decodingErrors.length, 1);
      assert.equal((decodingErrors[0] as DecodingError).reason, 'LIST_TOO_LONG');
      assert.equal((decodingErrors[0] as DecodingError).path, 'Current_branch.locator.history');
      await typed.close();
      await raw.close();
    } finally {
      await pool.close();
    }
  });
}
