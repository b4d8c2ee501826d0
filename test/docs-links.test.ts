/**
 * Every relative link in README.md and docs/*.md leads somewhere: the file exists, and where the
 * link names an `#anchor` in a Markdown file, that file has a heading with that anchor. The
 * section references that the documents and the source comments make in prose (`protocol.md
 * §10.3`, `architecture.md §4c`) name a numbered heading of that document.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { REPO, anchorsOf, linksOf, markdownDocuments, readDocument } from './support/markdown-documents.ts';

const SCHEME = /^[a-z][a-z0-9+.-]*:/i;

test('every relative link in README.md and docs/*.md resolves to a file and heading', () => {
  const broken: string[] = [];
  let checked = 0;
  for (const document of markdownDocuments()) {
    for (const { href, line } of linksOf(readDocument(document))) {
      if (SCHEME.test(href)) continue;
      checked++;
      const hash = href.indexOf('#');
      const path = decodeURIComponent(hash === -1 ? href : href.slice(0, hash));
      const anchor = hash === -1 ? undefined : decodeURIComponent(href.slice(hash + 1));
      const target = path === '' ? document : posix.normalize(posix.join(posix.dirname(document), path));
      const where = `${document}:${line} → ${href}`;
      if (!existsSync(join(REPO, target))) {
        broken.push(`${where}: no file ${target}`);
        continue;
      }
      if (anchor === undefined) continue;
      if (!target.endsWith('.md')) {
        broken.push(`${where}: an anchor into a file that is not Markdown`);
        continue;
      }
      if (!anchorsOf(readDocument(target)).has(anchor)) broken.push(`${where}: no heading #${anchor} in ${target}`);
    }
  }
  assert.deepEqual(broken, []);
  assert.ok(checked >= 5, `only ${checked} relative links were found: is the parser reading the documents?`);
});

test('the anchors of a document are the ones GitHub renders', () => {
  const anchors = anchorsOf('# The `p2p-socket` command\n\n## Results\n\n## Results\n\n### `load [HOST:PORT]`\n');
  assert.deepEqual([...anchors], ['the-p2p-socket-command', 'results', 'results-1', 'load-hostport']);
});

/** `protocol.md §10.3`, `architecture.md §4b, §4c`: a document and the sections it names. */
const SECTION_REFERENCE = /([A-Za-z0-9_-]+\.md)((?:,? §[0-9]+[a-z]?(?:\.[0-9]+)*)+)/g;

test('every `name.md §N` reference in the documents and src/ names a numbered heading of that document', () => {
  const sources = readdirSync(join(REPO, 'src'), { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.ts')).map((file) => `src/${file}`);
  const broken: string[] = [];
  let checked = 0;
  for (const file of [...markdownDocuments(), ...sources]) {
    for (const [reference, name, sections] of readFileSync(join(REPO, file), 'utf8').matchAll(SECTION_REFERENCE)) {
      const target = name === 'README.md' ? name : `docs/${name}`;
      if (!existsSync(join(REPO, target))) {
        broken.push(`${file}: ${reference}: no ${target}`);
        continue;
      }
      const headings = readDocument(target).split('\n').filter((line) => /^#+ /.test(line)).map((line) => line.replace(/^#+ /, ''));
      for (const [, section] of (sections ?? '').matchAll(/§([0-9]+[a-z]?(?:\.[0-9]+)*)/g)) {
        checked++;
        if (!headings.some((heading) => heading.startsWith(`${section} `) || heading.startsWith(`${section}. `))) broken.push(`${file}: ${reference}: no section ${section} in ${target}`);
      }
    }
  }
  assert.deepEqual(broken, []);
  assert.ok(checked >= 100, `only ${checked} section references were found`);
});
