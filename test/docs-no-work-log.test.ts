/**
 * Documentation and source comments describe what is, for a user: no work-log phrases. History
 * (which issue, which run, which commit, which working session) lives in git. Checked in
 * README.md, docs/*.md and every comment in src/ (read with TypeScript's own scanner, so string
 * literals and code are left alone).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import MarkdownIt from 'markdown-it';
import { REPO, markdownDocuments, readDocument } from './support/markdown-documents.ts';

/** Phrases of a work log, each with what it is. */
const WORK_LOG: readonly (readonly [RegExp, string])[] = [
  [/\bissues?[- ]#?\d+/i, 'an issue number'],
  [/\bfinal tree\b/i, '"final tree"'],
  [/\b20\d\d-[01]\d-[0-3]\d\b/, 'a date'],
  [/\b(?:first|second|third|fourth|fifth|sixth|same|other|another|previous|next|earlier|later|last|working)(?:'s)? sessions?\b/i, 'a working session'],
  [/\bsessions?'s? runs?\b/i, 'a working session'],
];

/** A commit id: 7 to 12 hex digits with both a letter and a digit (checked outside code only). */
const COMMIT_ID = /\b(?=[0-9a-f]{0,11}[a-f])(?=[0-9a-f]{0,11}[0-9])[0-9a-f]{7,12}\b/;

function findings(where: string, text: string, patterns: readonly (readonly [RegExp, string])[]): string[] {
  const found: string[] = [];
  text.split('\n').forEach((line, index) => {
    for (const [pattern, what] of patterns) {
      const match = pattern.exec(line);
      if (match) found.push(`${where}:${index + 1}: ${what}: ${match[0]}`);
    }
  });
  return found;
}

const markdown = new MarkdownIt({ html: true });

/** A document's prose with code blocks and code spans blanked out, line numbers kept. */
function proseOf(text: string): string {
  const lines = text.split('\n');
  for (const token of markdown.parse(text, {})) {
    if ((token.type === 'fence' || token.type === 'code_block') && token.map) {
      for (let line = token.map[0]; line < token.map[1]; line++) lines[line] = '';
    }
  }
  return lines.map((line) => line.replace(/`[^`]*`/g, '')).join('\n');
}

/** The comments of a TypeScript file, each at its own line offset (the rest blanked). */
function commentsOf(text: string): string {
  const lines: string[] = text.split('\n').map(() => '');
  const scanner = ts.createScanner(ts.ScriptTarget.Latest, false, ts.LanguageVariant.Standard, text);
  for (let kind = scanner.scan(); kind !== ts.SyntaxKind.EndOfFileToken; kind = scanner.scan()) {
    if (kind !== ts.SyntaxKind.SingleLineCommentTrivia && kind !== ts.SyntaxKind.MultiLineCommentTrivia) continue;
    const start = text.slice(0, scanner.getTokenStart()).split('\n').length - 1;
    scanner.getTokenText().split('\n').forEach((line, offset) => {
      lines[start + offset] = line;
    });
  }
  return lines.join('\n');
}

test('README.md and docs/*.md carry no work-log phrases (issue numbers, dates, sessions, commit ids)', () => {
  const found = markdownDocuments().flatMap((document) => {
    const text = readDocument(document);
    return [...findings(document, text, WORK_LOG), ...findings(document, proseOf(text), [[COMMIT_ID, 'a commit id']])];
  });
  assert.deepEqual(found, []);
});

test('comments in src/ carry no work-log phrases (issue numbers, dates, sessions, commit ids)', () => {
  const files = readdirSync(join(REPO, 'src'), { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.ts'));
  assert.ok(files.length >= 50, `only ${files.length} source files`);
  const found = files.flatMap((file) => findings(`src/${file}`, commentsOf(readFileSync(join(REPO, 'src', file), 'utf8')), [...WORK_LOG, [COMMIT_ID, 'a commit id']]));
  assert.deepEqual(found, []);
});

test('the work-log patterns catch what they are for, and pass plain prose', () => {
  const hits = (text: string) => findings('x', text, [...WORK_LOG, [COMMIT_ID, 'a commit id']]).length;
  for (const text of ['after issue 7', 'the issue-11 sizing rule', 'run of the final tree', 'on 2026-11-29', "issue 7's fourth session", 'base = main 5a18e34', 'other sessions\' runs']) {
    assert.ok(hits(text) > 0, text);
  }
  for (const text of ['X25519 + HSalsa20 session keys', 'the established session holds it', 'chunk #0 in each direction', 'a 64 KiB message', 'src/shared/session/transport.ts']) {
    assert.equal(hits(text), 0, text);
  }
});
