/**
 * docs/cli.md describes the command the code parses: its synopsis is the one `p2p-socket --help`
 * prints, and every flag that any help text names (src/cli/usage.ts, load-usage.ts) appears
 * in it. The flags are read from the usage texts themselves, so a new flag is checked as it lands.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as usage from '../src/cli/usage.ts';
import * as loadUsage from '../src/cli/load/load-usage.ts';
import { readDocument } from './support/markdown-documents.ts';

const cliDoc = readDocument('docs/cli.md');

/** Every help text the command can print. */
const helpTexts = [...Object.values(usage), ...Object.values(loadUsage)].filter((value): value is string => typeof value === 'string');

/** The lines of the main help between `Usage:` and the blank line: the synopsis. */
function synopsisOf(help: string): string {
  const lines = help.split('\n');
  const start = lines.indexOf('Usage:') + 1;
  const end = lines.indexOf('', start);
  return lines.slice(start, end).join('\n');
}

test('the synopsis in docs/cli.md is the one `p2p-socket --help` prints', () => {
  const firstBlock = /^```\n([\s\S]*?)\n```$/m.exec(cliDoc);
  assert.ok(firstBlock, 'docs/cli.md starts its synopsis with a plain ``` block');
  assert.equal(firstBlock[1], synopsisOf(usage.MAIN_USAGE));
});

test('every flag printed by a --help of p2p-socket appears in docs/cli.md', () => {
  const flags = new Set(helpTexts.flatMap((text) => [...text.matchAll(/--[a-z][a-z0-9-]*/g)].map((match) => match[0])));
  assert.ok(flags.size >= 30, `only ${flags.size} flags were read from the help texts`);
  const missing = [...flags].filter((flag) => !new RegExp(`${flag}(?![a-z0-9-])`).test(cliDoc));
  assert.deepEqual(missing, []);
});

test("every flag a command's --help explains is in that command's synopsis", () => {
  const commandHelps = Object.entries({ ...usage, ...loadUsage }).filter(([name, value]) => name.endsWith('_USAGE') && name !== 'MAIN_USAGE' && name !== 'IDENTITY_USAGE' && typeof value === 'string');
  assert.ok(commandHelps.length >= 6, `only ${commandHelps.length} command help texts`);
  const missing: string[] = [];
  for (const [name, help] of commandHelps as [string, string][]) {
    const synopsis = synopsisOf(help);
    // An explained flag starts a line of the help: `  --flag ARG   what it does`.
    for (const [, names] of help.matchAll(/^ {2}(--.*?)(?: {2,}|$)/gm)) {
      for (const [flag] of (names ?? '').matchAll(/--[a-z][a-z0-9-]*/g)) {
        if (!new RegExp(`${flag}(?![a-z0-9-])`).test(synopsis)) missing.push(`${name}: ${flag}`);
      }
    }
  }
  assert.deepEqual([...new Set(missing)], []);
});
