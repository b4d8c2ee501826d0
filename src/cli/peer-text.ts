/**
 * Text that came from a peer (a chain name, an error message quoting what it sent), made safe
 * for a terminal before it is printed in human output: every character outside printable ASCII
 * is shown as an escape (`\x1B`, `\u202E`, `\u{1F600}`, with jsesc), so escape sequences, bells
 * and carriage returns never reach the terminal, and past `limit` characters the rest is
 * replaced by an ellipsis and the full length. JSON output keeps strings whole (asciiJson).
 */
import jsesc from 'jsesc';

/** Characters of a name (a chain name) shown before the ellipsis. */
export const NAME_LIMIT = 120;
/** Characters of an error message or a refusal reason shown before the ellipsis. */
export const MESSAGE_LIMIT = 500;

export function peerText(text: string, limit: number = NAME_LIMIT): string {
  const cut = text.length > limit;
  const escaped = jsesc(cut ? text.slice(0, limit) : text, { es6: true, wrap: false, quotes: 'backtick' });
  return cut ? `${escaped}… [${text.length} characters]` : escaped;
}

/**
 * `JSON.stringify(value)` with every character outside ASCII written as `\uXXXX`: the same
 * JSON for a parser, but C1 controls (U+009B is a CSI on some terminals), DEL and bidirectional
 * overrides a peer put in a string never reach a terminal that shows the JSON lines raw.
 */
export function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
