/**
 * Running the `p2p-socket` CLI from a benchmark: a command pinned to a CPU when asked (taskset;
 * children inherit it), a run bounded by a timeout, and a `listen` target started in the
 * background until its ready file names its port.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sleep } from './common.ts';

const BIN = fileURLToPath(new URL('../bin/p2p-socket.js', import.meta.url));

export type Json = Record<string, any>;

/** `node BIN args`, on CPU `core` only when given. */
function command(args: readonly string[], core: number | undefined): [string, string[]] {
  return core === undefined ? [process.execPath, [BIN, ...args]] : ['taskset', ['-c', String(core), process.execPath, BIN, ...args]];
}

/** Runs the CLI to its end (SIGKILL after `timeoutMs`). */
export function runCli(args: readonly string[], timeoutMs: number, core: number | undefined): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const [file, list] = command(args, core);
    const child = spawn(file, list, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (t: string) => (stdout += t));
    child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The last line of a `--json` run, parsed ({} when there is none). */
export function lastJson(stdout: string): Json {
  try {
    return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Json;
  } catch {
    return {};
  }
}

/** Starts `listen ARGS --ready-file …` in `dir` and waits (10 s at most) for its port. */
export async function startListen(dir: string, name: string, args: readonly string[], core: number | undefined): Promise<{ port: number; pid: number | undefined; stop: () => void }> {
  const readyFile = join(dir, `port-${name}`);
  const [file, list] = command(['listen', ...args, '--ready-file', readyFile, '--json'], core);
  const child = spawn(file, list, { stdio: ['ignore', 'ignore', 'inherit'] });
  for (let i = 0; i < 500; i++) {
    const text = await readFile(readyFile, 'utf8').catch(() => '');
    if (/^[0-9]+$/.test(text)) return { port: Number(text), pid: child.pid, stop: () => child.kill('SIGTERM') };
    await sleep(20);
  }
  child.kill('SIGKILL');
  throw new Error(`target ${name} did not start`);
}

/**
 * CPU milliseconds (user + system) of process `pid` so far, and of the children this process has
 * waited for (`pid` = 'self', children): Linux /proc, `undefined` elsewhere. CPU time per message
 * varies far less than throughput on a machine other work shares.
 */
export function cpuMs(pid: number | 'self', children = false): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at index 2 (state).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
    const [utime, stime, cutime, cstime] = [fields[11]!, fields[12]!, fields[13]!, fields[14]!];
    const ticks = children ? cutime + cstime : utime + stime;
    return ticks * 10; // USER_HZ is 100 on Linux
  } catch {
    return undefined;
  }
}
