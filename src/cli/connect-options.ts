/** `connect`'s flags: the target and what to send to it. */
import { DEFAULT_MAX_MESSAGE_SIZE } from '../main/options.ts';
import { integerOf, parseFlags, parseHostPort, type Options } from './flag-parser.ts';
import { DEFAULTS, PEER_FLAGS, peerOptions, type PeerOptions } from './peer-options.ts';
import { CONNECT_USAGE } from './usage.ts';

export interface ConnectOptions extends PeerOptions {
  readonly host: string;
  readonly port: number;
  readonly send: number;
  readonly size: number;
  readonly expectEcho: boolean;
}

const CONNECT_FLAGS: Options = {
  ...PEER_FLAGS,
  send: { type: 'string' },
  size: { type: 'string' },
  'expect-echo': { type: 'boolean' },
};

export function parseConnect(argv: readonly string[]): ConnectOptions {
  const u = CONNECT_USAGE;
  const { values, positionals } = parseFlags(argv, CONNECT_FLAGS, u, 1);
  const { host, port } = parseHostPort(positionals[0]!, u);
  return {
    ...peerOptions(values, u),
    host,
    port,
    send: integerOf(values, 'send', 0, Number.MAX_SAFE_INTEGER, u) ?? DEFAULTS.send,
    // The body plus its 4-byte length prefix must fit the receiver's default limit.
    size: integerOf(values, 'size', 0, DEFAULT_MAX_MESSAGE_SIZE - 4, u) ?? DEFAULTS.size,
    expectEcho: values['expect-echo'] === true,
  };
}
