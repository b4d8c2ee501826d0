/**
 * Every error code the code base defines is documented in docs/errors.md, the one place that
 * lists them, and README.md links there. The codes are read from the sources, not from a copy:
 * the `code` of every error class in src/shared/errors/ (literal or union), the admission
 * refusals counted in `stats().errors` (src/main/handshake-admission.ts), and every other
 * `code: 'X'` / `code = 'X'` an error is given in src/ (the command line's own codes included).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readdirSync } from 'node:fs';
import { REPO, anchorsOf, linksOf, readDocument } from './support/markdown-documents.ts';

const CODE_LITERAL = /'([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|[A-Z]{4,})'/g;

function sourceFiles(dir: string): string[] {
  return readdirSync(join(REPO, dir), { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.ts')).map((file) => join(dir, file));
}

/** The text of the files that define the library's error classes (src/shared/errors/). */
function errorClassSources(): string {
  return sourceFiles('src/shared/errors').map((file) => readFileSync(join(REPO, file), 'utf8')).join('\n');
}

/** The codes in the `readonly code …` declarations of src/shared/errors/. */
function errorClassCodes(): string[] {
  const text = errorClassSources();
  const declarations = text.split('\n').filter((line) => /^\s*(?:override )?readonly code\b/.test(line));
  return declarations.flatMap((line) => [...line.matchAll(CODE_LITERAL)].map((match) => match[1] ?? ''));
}

/** The admission refusals, from the `AdmissionRefusal` union. */
function admissionRefusalCodes(): string[] {
  const text = readFileSync(join(REPO, 'src/main/handshake-admission.ts'), 'utf8');
  const union = /type AdmissionRefusal\s*=([^;]+);/.exec(text);
  assert.ok(union, 'src/main/handshake-admission.ts declares the AdmissionRefusal union');
  return [...(union[1] ?? '').matchAll(CODE_LITERAL)].map((match) => match[1] ?? '');
}

/**
 * `code: 'X'` and `code = 'X'` anywhere else in src/ (errors made with Object.assign, CLI errors),
 * and `count('X')`: a code a pool counts in `stats().errors` without throwing it.
 */
function otherAssignedCodes(): string[] {
  return ['src/main', 'src/shared', 'src/worker', 'src/messages', 'src/node'].flatMap(sourceFiles).flatMap((file) => {
    const text = readFileSync(join(REPO, file), 'utf8');
    return [...text.matchAll(/\b(?:code(?:: | = )|count\()'([A-Z][A-Z0-9_]+)'/g)].map((match) => match[1] ?? '');
  });
}

const errorsDoc = readDocument('docs/errors.md');

test('every error code defined in src/ is documented in docs/errors.md', () => {
  const classCodes = errorClassCodes();
  assert.ok(classCodes.length >= 25, `only ${classCodes.length} codes were read from src/shared/errors/`);
  assert.ok(classCodes.includes('CONNECTION_CLOSED') && classCodes.includes('POLICY_FAILED'));
  const codes = new Set([...classCodes, ...admissionRefusalCodes(), ...otherAssignedCodes()]);
  const undocumented = [...codes].filter((code) => !errorsDoc.includes(`\`${code}\``)).sort();
  assert.deepEqual(undocumented, []);
});

test('every error class of src/shared/errors/ is named in docs/errors.md', () => {
  const text = errorClassSources();
  const classes = [...text.matchAll(/^export (?:abstract )?class (\w+)/gm)].map((match) => match[1] ?? '');
  assert.ok(classes.length >= 30, `only ${classes.length} classes were read from src/shared/errors/`);
  assert.deepEqual(classes.filter((name) => !errorsDoc.includes(`\`${name}\``)), []);
});

test('README.md sends its reader to docs/errors.md for the error codes', () => {
  const links = linksOf(readDocument('README.md')).map((link) => link.href.split('#')[0]);
  assert.ok(links.includes('docs/errors.md'), 'README.md links to docs/errors.md');
  assert.ok(anchorsOf(errorsDoc).size >= 3);
});
