/**
 * `p2p-socket codec decode|encode`: peer messages between their bytes (hex) and their JSON form,
 * like `octez-codec` for these encodings (docs/cli.md, docs/messages.md). One input from the
 * command line, or with `-` one input per stdin line and one output line per input, in order.
 * stdout carries results only; an input that fails gives an `{"error":…}` line in stream mode,
 * and on stderr with exit status 1 otherwise.
 */
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { peerMessageCodec } from '../messages/peer-message-codec.ts';
import { P2pError } from '../shared/errors.ts';
import type { OutputStreams } from './output.ts';
import { asciiJson } from './peer-text.ts';

export interface CodecOptions {
  readonly direction: 'decode' | 'encode';
  /** Input and output in the stream form, with the u32 length prefix. */
  readonly framed: boolean;
  /** The input itself, or `-` for one input per stdin line. */
  readonly input: string;
  /** Always false: results are JSON (decode) or hex (encode) lines. */
  readonly json: boolean;
}

/** An input that is not hex or not JSON. */
class InvalidInputError extends P2pError {
  readonly code = 'INVALID_INPUT' as const;
}

function decodeLine(text: string, framed: boolean): string {
  const hex = text.trim().replace(/^0x/i, '');
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) throw new InvalidInputError('input is not an even number of hex digits');
  const bytes = Buffer.from(hex, 'hex');
  const message = framed ? peerMessageCodec.decodeFramed(bytes) : peerMessageCodec.decode(bytes);
  return asciiJson(peerMessageCodec.toJson(message));
}

function encodeLine(text: string, framed: boolean): string {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new InvalidInputError(`input is not JSON: ${(error as Error).message}`);
  }
  const message = peerMessageCodec.fromJson(json);
  return (framed ? peerMessageCodec.encodeFramed(message) : peerMessageCodec.encode(message)).toString('hex');
}

/** `{"error":{"code","message","path"}}`; `path` is null when the failure is not inside a field. */
function errorLine(error: unknown): string {
  const record = error instanceof P2pError ? error.toRecord() : { code: 'INTERNAL_ERROR', message: String(error) };
  const path = typeof record['path'] === 'string' ? record['path'] : null;
  return asciiJson({ error: { code: record.code, message: record.message, path } });
}

/** Runs the command; resolves to the exit status (1 when a single input fails). */
export async function runCodec(options: CodecOptions, streams: OutputStreams, stdin: Readable = process.stdin): Promise<number> {
  const convert = options.direction === 'decode' ? decodeLine : encodeLine;
  if (options.input !== '-') {
    let result: string;
    try {
      result = convert(options.input, options.framed);
    } catch (error) {
      streams.stderr.write(`${errorLine(error)}\n`);
      return 1;
    }
    streams.stdout.write(`${result}\n`);
    return 0;
  }
  const lines = createInterface({ input: stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    let result: string;
    try {
      result = convert(line, options.framed);
    } catch (error) {
      result = errorLine(error);
    }
    if (!streams.stdout.write(`${result}\n`)) await once(streams.stdout, 'drain');
  }
  return 0;
}
