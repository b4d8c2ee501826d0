/**
 * A CLI listener started in the background the way the README's session does
 * (examples/cli-session.sh) stops on `kill -TERM` and `kill -INT` of the pid the shell gives
 * (`$!`): the listener itself gets the signal, closes, prints its summary and exits, and the port
 * is free. Through npx, `$!` was npm: SIGTERM killed npm and left the listener holding the port,
 * and SIGINT did nothing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const SESSION = readFileSync(new URL('../examples/cli-session.sh', import.meta.url), 'utf8');

/** npm's own variables from `npm test` stay out; this Node (>= 24.20) is first on PATH. */
const ENV = {
  ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.toLowerCase().startsWith('npm_'))),
  PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`,
};

/** The README's session up to the listener listening (its lines before the client's). */
function startListenerLines(): string {
  const region = SESSION.slice(SESSION.indexOf('# #region session\n'), SESSION.indexOf('# #endregion session'));
  const lines = region.split('\n').slice(1);
  const client = lines.findIndex((line) => line.startsWith('npx p2p-socket connect'));
  assert.ok(client > 0, 'the session starts a client after the listener');
  return lines.slice(0, client).join('\n');
}

/** Whether a server can bind 127.0.0.1:`port` now. */
async function portFree(port: number): Promise<boolean> {
  const server = createServer();
  server.listen(port, '127.0.0.1');
  try {
    await Promise.race([once(server, 'listening'), once(server, 'error').then(([error]) => Promise.reject(error))]);
    return true;
  } catch {
    return false;
  } finally {
    server.close();
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  test(`a listener started as the README does stops on ${signal} to $!: summary printed, process gone, port free`, async () => {
    const script = `set -eu
${startListenerLines()}
echo "started $listener $(cat "$dir/port")"
kill -${signal.slice(3)} "$listener"
status=0
wait "$listener" || status=$?
echo "status $status"
tail -n 1 "$dir/listen.log"
`;
    const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
      execFile('sh', ['-c', script], { cwd: REPO, env: ENV, timeout: 15_000 }, (error, out, err) => (error ? reject(Object.assign(error, { stderr: err })) : resolve({ stdout: out, stderr: err })));
    });
    const [started, status, summary] = stdout.trim().split('\n');
    const [, pid, port] = /^started (\d+) (\d+)$/.exec(started ?? '') ?? assert.fail(`no start line: ${stdout} ${stderr}`);
    // The listener handled the signal: with --connections 1 and none served, it reports INTERRUPTED and exits 1.
    assert.equal(status, 'status 1');
    const json = JSON.parse(summary ?? '{}') as { ok?: boolean; error?: { code?: string; message?: string } };
    assert.equal(json.ok, false);
    assert.equal(json.error?.code, 'INTERRUPTED');
    assert.match(json.error?.message ?? '', new RegExp(`stopped by ${signal}`));
    assert.equal(alive(Number(pid)), false, 'the started process is gone');
    assert.equal(await portFree(Number(port)), true, `port ${port} is free`);
  });
}
