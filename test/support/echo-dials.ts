/**
 * An honest peer's dials during an attack: each connects, writes a message and waits for the
 * server's echo (pools.ts `echo`), a few at a time, as a node dialling would.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Pool } from '../../src/main/pool.ts';
import { settle } from './fixtures.ts';

export interface EchoDials {
  /** Dials whose echo came back. */
  readonly ok: number;
  /** The others, by error code. */
  readonly failures: Readonly<Record<string, number>>;
}

/** `total` dials from `pool` to `127.0.0.1:port`, `concurrency` at a time, `pauseMs` between rounds. */
export async function echoDials(pool: Pool<Uint8Array, undefined>, port: number, total: number, concurrency: number, pauseMs: number): Promise<EchoDials> {
  let ok = 0;
  const failures: Record<string, number> = {};
  for (let round = 0; round < total / concurrency; round++) {
    const outcomes = await Promise.all(
      Array.from({ length: concurrency }, async () => {
        const dialled = await settle(pool.connect({ host: '127.0.0.1', port }));
        if (!dialled.ok) return dialled.error.code ?? 'connect failed';
        await dialled.value.write(Buffer.from('hello'));
        const echoed = await settle(dialled.value.read({ signal: AbortSignal.timeout(3000) }));
        await dialled.value.close();
        return echoed.ok ? 'ok' : (echoed.error.code ?? 'read failed');
      }),
    );
    for (const outcome of outcomes) {
      if (outcome === 'ok') ok++;
      else failures[outcome] = (failures[outcome] ?? 0) + 1;
    }
    await sleep(pauseMs);
  }
  return { ok, failures };
}
