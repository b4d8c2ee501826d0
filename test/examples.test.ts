/**
 * The documentation's code runs as written: every file in examples/ is run and must exit 0
 * within EXAMPLE_TIMEOUT_MS, and every ```ts and ```sh block of README.md and docs/*.md must be
 * an example file or one of its regions (`// #region name` … `// #endregion name`; `#` in shell).
 * Blocks that list commands to type (npm scripts, benchmark runs, a node elsewhere) are
 * ```console blocks, and are not programs.
 *
 * Examples import 'p2p-socket' by name, as users do; the `p2p-socket-source` export condition
 * resolves that to src/ here, so they run against the code under test, not a stale dist/.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const EXAMPLES = join(REPO, 'examples');
const EXAMPLE_TIMEOUT_MS = 60_000;

/** npm's own variables from `npm test` stay out; this Node (>= 24.20) is first on PATH for `npx`. */
const ENV = {
  ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.toLowerCase().startsWith('npm_'))),
  PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`,
};

const exampleFiles = readdirSync(EXAMPLES).filter((file) => file.endsWith('.ts') || file.endsWith('.sh')).sort();

function run(file: string): Promise<{ code: number | string | null; stdout: string; stderr: string; killed: boolean }> {
  const path = join(EXAMPLES, file);
  const [command, args] = file.endsWith('.sh') ? ['sh', [path]] : [process.execPath, ['--conditions=p2p-socket-source', path]];
  return new Promise((resolve) => {
    const child = execFile(command, args, { cwd: REPO, env: ENV, timeout: EXAMPLE_TIMEOUT_MS }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : (error.code ?? null), stdout, stderr, killed: child.killed });
    });
  });
}

test('there are examples: echo server and client, pool relay, broadcast, many clients from one host, CLI session, head monitor, lent reads', () => {
  assert.deepEqual(exampleFiles, ['broadcast.ts', 'cli-session.sh', 'echo-server-and-client.ts', 'head-monitor.ts', 'lent-reads.ts', 'many-clients-one-host.ts', 'pool-relay.ts']);
});

for (const file of exampleFiles) {
  test(`examples/${file} runs to the end and exits 0`, async () => {
    const result = await run(file);
    assert.equal(result.killed, false, `killed after ${EXAMPLE_TIMEOUT_MS} ms:\n${result.stdout}\n${result.stderr}`);
    assert.equal(result.code, 0, `exit ${result.code}:\n${result.stdout}\n${result.stderr}`);
    assert.notEqual(result.stdout.trim(), '', 'an example shows what it did');
  });
}

/** The whole text of each example, and each region of it, by how a snippet would quote them. */
function quotable(): Map<string, string> {
  const texts = new Map<string, string>();
  for (const file of exampleFiles) {
    const text = readFileSync(join(EXAMPLES, file), 'utf8');
    texts.set(normalise(text), file);
    const lines = text.split('\n');
    const open = new Map<string, number>();
    lines.forEach((line, index) => {
      const marker = /^\s*(?:\/\/|#) #(region|endregion) (\S+)\s*$/.exec(line);
      if (!marker) return;
      const [, kind, name] = marker as unknown as [string, string, string];
      if (kind === 'region') open.set(name, index);
      else {
        const start = open.get(name);
        assert.ok(start !== undefined, `${file}: #endregion ${name} without its #region`);
        texts.set(normalise(lines.slice(start + 1, index).join('\n')), `${file}#${name}`);
        open.delete(name);
      }
    });
    assert.deepEqual([...open.keys()], [], `${file}: regions left open`);
  }
  return texts;
}

function normalise(text: string): string {
  return text.replace(/\s+$/, '').replace(/^\n+/, '');
}

/** The ```ts and ```sh blocks of a markdown file, with the line each starts on. */
function codeBlocks(markdown: string): Array<{ line: number; language: string; text: string }> {
  const blocks: Array<{ line: number; language: string; text: string }> = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const fence = /^```(\w+)\s*$/.exec(lines[i]!);
    if (!fence) continue;
    const end = lines.indexOf('```', i + 1);
    assert.ok(end > i, `unclosed code block at line ${i + 1}`);
    if (fence[1] === 'ts' || fence[1] === 'sh') blocks.push({ line: i + 1, language: fence[1], text: lines.slice(i + 1, end).join('\n') });
    i = end;
  }
  return blocks;
}

test('every ts and sh block of README.md and docs/*.md is an example file or a region of one', () => {
  const texts = quotable();
  const documents = ['README.md', ...readdirSync(join(REPO, 'docs')).filter((file) => file.endsWith('.md')).map((file) => join('docs', file))];
  const strays: string[] = [];
  let quoted = 0;
  for (const document of documents) {
    for (const block of codeBlocks(readFileSync(join(REPO, document), 'utf8'))) {
      if (texts.has(normalise(block.text))) quoted++;
      else strays.push(`${document}:${block.line} (${block.language}) is not in examples/: ${block.text.split('\n')[0]}`);
    }
  }
  assert.deepEqual(strays, []);
  assert.ok(quoted >= 4, `only ${quoted} snippets quote examples`);
});
