/**
 * Runs the `p2p-socket` command as other programs do: a child process, JSON lines on stdout, an
 * exit status. Every child is killed after its time limit and when the test file ends.
 */
import { after } from 'node:test';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/p2p-socket.js', import.meta.url));

export type Json = Record<string, any>;

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout parsed as JSON lines (empty when it is not JSON). */
  readonly lines: Json[];
  readonly summary: Json;
}

const children = new Set<ChildProcess>();
after(() => {
  for (const child of children) child.kill('SIGKILL');
});

export function jsonLines(stdout: string): Json[] {
  const lines = stdout.split('\n').filter((line) => line.trim() !== '');
  try {
    return lines.map((line) => JSON.parse(line) as Json);
  } catch {
    return [];
  }
}

/** Starts the CLI; `done` resolves when it exits (SIGKILLed after `timeoutMs`). */
export function startCli(args: readonly string[], timeoutMs: number, options: { detached?: boolean } = {}): { child: ChildProcess; done: Promise<CliRun> } {
  // detached: its own process group, which a test may signal as a terminal's Ctrl-C would.
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], detached: options.detached ?? false });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  child.stderr!.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const done = new Promise<CliRun>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      children.delete(child);
      const lines = jsonLines(stdout);
      resolve({ code, stdout, stderr, lines, summary: lines.at(-1) ?? {} });
    });
  });
  return { child, done };
}

/** The port a `--ready-file` names, polled for at most `timeoutMs`. */
export async function readyPort(file: string, timeoutMs = 10_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const text = await readFile(file, 'utf8').catch(() => '');
    if (/^[0-9]+$/.test(text)) return Number(text);
    await sleep(20);
  }
  throw new Error(`no port in ${file} after ${timeoutMs} ms`);
}
