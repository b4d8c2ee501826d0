/**
 * The target `p2p-socket load` starts when given no HOST:PORT: `p2p-socket listen --workers N` in
 * a child process (`listen --node` in node mode) (a pool-backed, node-like listener, pool-listen.ts), so that the generator and
 * the target do not share an event loop. It allows duplicate peer ids, which is how the
 * generator knows it may reuse identities against it, and takes as many peers and handshakes in
 * flight as the run needs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { JsonRecord } from '../output.ts';

const BIN = fileURLToPath(new URL('../../../bin/p2p-socket.js', import.meta.url));

/**
 * What the embedded node target answers Bootstrap with: loopback points (a generator never dials
 * them), so that bootstrap requests have an answer to wait for.
 */
const NODE_TARGET_POINTS = '127.0.0.1:9732,127.0.0.1:9733,127.0.0.1:9734';

export interface EmbeddedTargetOptions {
  readonly workers: number;
  readonly echo: boolean;
  /** Serve the node-like responder (`listen --node`), advertising a few loopback points. */
  readonly node?: boolean;
  readonly connections: number;
  readonly difficulty: number;
  readonly chain: string;
  /** More `listen` flags (load-options.ts `targetFlags`). */
  readonly flags?: readonly string[];
}

export class EmbeddedTarget {
  readonly port: number;
  private readonly child: ChildProcess;
  private readonly stdout: { text: string };
  private readonly exited: Promise<number | null>;
  private readonly dir: string;

  private constructor(child: ChildProcess, port: number, stdout: { text: string }, exited: Promise<number | null>, dir: string) {
    this.child = child;
    this.port = port;
    this.stdout = stdout;
    this.exited = exited;
    this.dir = dir;
  }

  static async start(options: EmbeddedTargetOptions): Promise<EmbeddedTarget> {
    const dir = await mkdtemp(join(tmpdir(), 'p2p-socket-load-'));
    const readyFile = join(dir, 'port');
    const args = [
      BIN,
      'listen',
      '--workers', String(options.workers),
      '--max-connections', String(options.connections + 1000),
      '--max-handshakes', '100000',
      '--allow-duplicate-peers',
      '--difficulty', String(options.difficulty),
      '--chain', options.chain,
      '--ready-file', readyFile,
      '--json',
      ...(options.echo ? ['--echo'] : []),
      ...(options.node ? ['--node', '--points', NODE_TARGET_POINTS] : []),
      ...(options.flags ?? []),
    ];
    // Its own process group, so a Ctrl-C reaches the load command only, which then stops the run
    // and this target in order; the IPC channel ends it if the load command dies.
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], detached: true });
    const stdout = { text: '' };
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (text: string) => (stdout.text += text));
    child.stderr!.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    let code: number | null | undefined;
    void exited.then((status) => (code = status));
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && code === undefined) {
      const text = await readFile(readyFile, 'utf8').catch(() => '');
      if (/^[0-9]+$/.test(text)) return new EmbeddedTarget(child, Number(text), stdout, exited, dir);
      await sleep(20);
    }
    child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
    throw new Error(`the embedded target did not start: ${stderr.trim() || `exit ${String(code)}`}`);
  }

  /** Where the target serves its metrics (`--metrics-port`), from its 'metrics' event. */
  get metricsUrl(): string | undefined {
    for (const line of this.stdout.text.split('\n')) {
      if (!line.includes('"metrics"')) continue;
      try {
        const event = JSON.parse(line) as { event?: unknown; url?: unknown };
        if (event.event === 'metrics' && typeof event.url === 'string') return event.url;
      } catch {
        // not a JSON line
      }
    }
    return undefined;
  }

  /** Stops it (SIGTERM, then SIGKILL after 5 s) and returns its summary, if it printed one. */
  async stop(): Promise<JsonRecord | undefined> {
    this.child.kill('SIGTERM');
    const killer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(killer);
    await rm(this.dir, { recursive: true, force: true });
    const last = this.stdout.text.trim().split('\n').at(-1);
    try {
      return last === undefined ? undefined : (JSON.parse(last) as JsonRecord);
    } catch {
      return undefined;
    }
  }

  /** For emergencies (the load command failing): no summary wanted. */
  kill(): void {
    this.child.kill('SIGKILL');
  }
}
