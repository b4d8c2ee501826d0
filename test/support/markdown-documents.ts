/**
 * The user-facing Markdown documents (README.md and docs/*.md) and what the docs-* checks read
 * from them: links and heading anchors, parsed with markdown-it so code spans and code blocks
 * are not mistaken for links, and anchors slugged as GitHub renders them (github-slugger).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import MarkdownIt from 'markdown-it';
import GithubSlugger from 'github-slugger';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));

const markdown = new MarkdownIt({ html: true });

/** README.md and every docs/*.md, as paths relative to the repository. */
export function markdownDocuments(): string[] {
  const docs = readdirSync(join(REPO, 'docs')).filter((file) => file.endsWith('.md')).sort();
  return ['README.md', ...docs.map((file) => `docs/${file}`)];
}

export interface MarkdownLink {
  readonly href: string;
  readonly line: number;
}

type Token = ReturnType<typeof markdown.parse>[number];

/** Every link and image target of a document, with its 1-based line. */
export function linksOf(text: string): MarkdownLink[] {
  const links: MarkdownLink[] = [];
  for (const block of markdown.parse(text, {})) {
    if (block.type !== 'inline' || block.children === null) continue;
    const line = (block.map?.[0] ?? 0) + 1;
    for (const token of block.children) {
      const href = token.type === 'link_open' ? token.attrGet('href') : token.type === 'image' ? token.attrGet('src') : null;
      if (typeof href === 'string') links.push({ href, line });
    }
  }
  return links;
}

/** The visible text of a heading's inline token, as GitHub slugs it (markup dropped, code kept). */
function headingText(inline: Token): string {
  return (inline.children ?? []).filter((child: Token) => child.type === 'text' || child.type === 'code_inline').map((child: Token) => child.content).join('');
}

/** The anchors GitHub gives a document's headings (`#the-pool`, a second `#results` is `#results-1`). */
export function anchorsOf(text: string): Set<string> {
  const slugger = new GithubSlugger();
  const anchors = new Set<string>();
  const tokens = markdown.parse(text, {});
  tokens.forEach((token, index) => {
    const inline = tokens[index + 1];
    if (token.type === 'heading_open' && inline !== undefined) anchors.add(slugger.slug(headingText(inline)));
  });
  return anchors;
}

export function readDocument(path: string): string {
  return readFileSync(join(REPO, path), 'utf8');
}
