/**
 * `p2p-socket/messages` is a subpath export of its own: importing the core `p2p-socket` loads
 * none of its modules, and importing the subpath does (which shows the check can see them).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';

/** The module URLs a fresh Node process loads for `import(specifier)`. */
function modulesLoadedBy(specifier: string): string[] {
  const script = `
    import { registerHooks } from 'node:module';
    const seen = [];
    registerHooks({ load(url, context, next) { seen.push(url); return next(url, context); } });
    await import(${JSON.stringify(specifier)});
    process.stdout.write(JSON.stringify(seen));
  `;
  const out = execFileSync(process.execPath, ['--conditions=p2p-socket-source', '--input-type=module', '-e', script], {
    cwd: new URL('..', import.meta.url),
    encoding: 'utf8',
  });
  return JSON.parse(out) as string[];
}

const isMessagesModule = (url: string): boolean => url.includes('/src/messages/');

test('importing p2p-socket loads no module of p2p-socket/messages', () => {
  const loaded = modulesLoadedBy('p2p-socket');
  assert.ok(loaded.some((url) => url.endsWith('/src/main/index.ts')), 'the core entry itself is seen');
  assert.deepEqual(loaded.filter(isMessagesModule), []);
});

test('importing p2p-socket/messages loads the message modules', () => {
  const loaded = modulesLoadedBy('p2p-socket/messages');
  assert.ok(loaded.some((url) => url.endsWith('/src/messages/index.ts')));
  assert.ok(loaded.some((url) => url.endsWith('/src/messages/layout.ts')));
});
