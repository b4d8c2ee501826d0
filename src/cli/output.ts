/**
 * What the CLI prints. With `--json`, stdout carries one JSON object per line, each with an
 * `event` field, and the last line is always the `summary`; without it, short human lines.
 * Diagnostics and progress go to stderr, so stdout stays machine-readable.
 */
import type { Writable } from 'node:stream';
import { P2pError } from '../shared/errors.ts';
import { motiveName } from '../shared/wire/rejection.ts';
import { asciiJson, MESSAGE_LIMIT, peerText } from './peer-text.ts';

export interface OutputStreams {
  readonly stdout: Writable;
  readonly stderr: Writable & { readonly isTTY?: boolean };
}

export type JsonRecord = { [key: string]: unknown };

export class Output {
  readonly json: boolean;
  private readonly streams: OutputStreams;
  private progressShown = false;

  constructor(json: boolean, streams: OutputStreams) {
    this.json = json;
    this.streams = streams;
  }

  /** An event: a JSON line with `--json`, else the human text (if any). */
  event(event: string, fields: JsonRecord, human?: string): void {
    if (this.json) this.line({ event, ...fields });
    else if (human !== undefined) this.text(human);
  }

  /** The final line. `fields.ok` says whether the run succeeded. */
  summary(command: string, fields: JsonRecord, human: string): void {
    this.event('summary', { command, ...fields }, human);
  }

  /** A human-only line on stdout (nothing in JSON mode). */
  text(line: string): void {
    this.clearProgress();
    this.streams.stdout.write(`${line}\n`);
  }

  /** A diagnostic on stderr, in both modes. */
  warn(line: string): void {
    this.clearProgress();
    this.streams.stderr.write(`${line}\n`);
  }

  /** Where live views draw (`p2p-socket load`); diagnostics go there too. */
  get stderrStream(): Writable {
    return this.streams.stderr;
  }

  /** Whether live progress can be drawn (stderr is a terminal). */
  get interactive(): boolean {
    return this.streams.stderr.isTTY === true;
  }

  /** Redraws a one-line progress indicator on a terminal's stderr; no-op elsewhere. */
  progress(line: string): void {
    if (!this.interactive) return;
    this.streams.stderr.write(`\r\x1b[K${line}`);
    this.progressShown = true;
  }

  clearProgress(): void {
    if (!this.progressShown) return;
    this.streams.stderr.write('\r\x1b[K');
    this.progressShown = false;
  }

  private line(record: JsonRecord): void {
    this.clearProgress();
    this.streams.stdout.write(`${asciiJson(record)}\n`);
  }
}

/**
 * An error as JSON: `{ code, message, ...fields }` with snake_case keys, like the rest of the
 * output. Rejections add `motive_name`. Errors that are not the library's keep Node's code
 * (ENOENT, EADDRINUSE…) or become INTERNAL_ERROR.
 */
export function errorJson(error: unknown): JsonRecord {
  if (error instanceof P2pError) {
    const record = snakeCase(error.toRecord()) as JsonRecord;
    const motive = record['motive'];
    if (typeof motive === 'number') record['motive_name'] = motiveName(motive);
    return record;
  }
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { code: typeof code === 'string' ? code : 'INTERNAL_ERROR', message: error.message };
  }
  return { code: 'INTERNAL_ERROR', message: String(error) };
}

/** `1 connection`, `2 connections`. */
export function counted(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/**
 * `code: message`, for human output. Messages may quote what a peer sent (its chain name in
 * REJECTED_NO_COMMON_PROTOCOL): escaped and bounded (peer-text.ts).
 */
export function errorText(error: unknown): string {
  const { code, message } = errorJson(error);
  // Node's system errors already start with their code ("ENOENT: no such file …").
  const text = String(message).startsWith(`${String(code)}:`) ? String(message) : `${String(code)}: ${String(message)}`;
  return peerText(text, MESSAGE_LIMIT);
}

/** Deep copy with camelCase keys turned to snake_case and `undefined` to `null`. */
function snakeCase(value: unknown): unknown {
  if (value === undefined) return null;
  if (Array.isArray(value)) return value.map(snakeCase);
  if (typeof value !== 'object' || value === null || Buffer.isBuffer(value)) return value;
  const out: JsonRecord = {};
  for (const [key, field] of Object.entries(value)) {
    out[key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)] = snakeCase(field);
  }
  return out;
}
