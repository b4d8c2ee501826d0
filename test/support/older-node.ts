/**
 * A Node that cannot run the library, for the checks that must fail on one: a Node on PATH older
 * than 24.20 (the system Node 20 here), or else this one told it is 20.0.0 before anything loads.
 */
import { execFileSync } from 'node:child_process';
import { delimiter, join } from 'node:path';
import { supportsSocketTransfer } from '../../src/main/node-version.ts';

export interface OlderNode {
  readonly node: string;
  /** Arguments that go before the script (the pretence, when no older Node is installed). */
  readonly args: readonly string[];
  /** The same for the Node processes a child starts (npm and its scripts): a NODE_OPTIONS value. */
  readonly nodeOptions: string;
}

export function olderNode(path: string = process.env['PATH'] ?? ''): OlderNode {
  for (const directory of path.split(delimiter)) {
    if (directory === '' || directory.includes('node_modules')) continue;
    const node = join(directory, 'node');
    let version = '';
    try {
      version = execFileSync(node, ['-p', 'process.versions.node'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      continue;
    }
    if (!supportsSocketTransfer(version)) return { node, args: [], nodeOptions: '' };
  }
  const pretend = "Object.defineProperty(process.versions, 'node', { value: '20.0.0' })";
  const args = ['--import', `data:text/javascript,${encodeURIComponent(pretend)}`];
  return { node: process.execPath, args, nodeOptions: args.join(' ') };
}
