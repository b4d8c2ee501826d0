/**
 * The socket fuzzer's peers must not keep the test process from exiting. A peer that resets right
 * after the server's FIN used to leave a socket handle that Node never closes (see
 * test/support/peer-behaviour.ts): hostile-socket-fuzz.test.ts passed, then its process spun at
 * exit forever (seed 669927757).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';

const SCRIPT = new URL('./support/reset-after-fin-peers.ts', import.meta.url);

test('fuzz peers that reset after the server FIN close their sockets and let the process exit', async () => {
  const child = spawn(process.execPath, [SCRIPT.pathname], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => (output += text));
  const exited = once(child, 'exit');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  const [code, signal] = (await exited) as [number | null, NodeJS.Signals | null];
  clearTimeout(timer);
  assert.equal(signal, null, `the child did not exit within 15 s; it printed ${JSON.stringify(output)}`);
  assert.equal(code, 0);
  assert.deepEqual(JSON.parse(output), { peers: 20, closeEvents: 20 });
});
