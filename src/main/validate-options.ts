/**
 * Up-front checks of the public options: a wrong type is a TypeError and a value out of range a
 * RangeError, each naming the option (`options.accept.incomingMessageQueueSize must be …`); an
 * option the library does not know is a TypeError naming the closest known one (a misspelt
 * `maxConnection` would otherwise be ignored).
 * Without them a mistake surfaces far from its cause, or not at all: a queue size given as a
 * string compares false against every byte count, which silently turned backpressure off.
 *
 * Only what is checked here is trusted by the rest of the library; `binaryChunksSize` out of
 * range stays the protocol's INVALID_CHUNKS_SIZE (protocol.md §6.4), only its type is checked.
 */

import { closest, distance } from 'fastest-levenshtein';
import { PendingMessageBudget } from '../shared/session/pending-message-budget.ts';
import { describeValue } from './describe-value.ts';

/**
 * Checks `value`, named `name` when `key` is absent, else field `key` (or index) of `name`. The
 * name is only put together for an error message: `accept` and `connect` check their options on
 * every handshake, and joining `options.codec`-style names for every field that passed would be
 * garbage on every handshake for nothing.
 */
type Check = (value: unknown, name: string, key?: string | number) => void;

/** The full name of what a check looked at: `options.timeout`, `options.p2pVersions[2]`. */
function label(name: string, key: string | number | undefined): string {
  if (key === undefined) return name;
  return typeof key === 'number' ? `${name}[${key}]` : `${name}.${key}`;
}
type Spec = Readonly<Record<string, Check>>;

/**
 * @internal option key: skip the per-call option check. A pool authenticates and accepts every
 * connection with options it validated at construction, so checking them again on every
 * handshake would be work for nothing.
 */
export const OPTIONS_CHECKED = Symbol('p2p-socket.optionsChecked');

/** The longest delay `setTimeout` honours; past it Node fires after 1 ms. */
const MAX_TIMER_MS = 2 ** 31 - 1;

function integer(min: number, max = Number.MAX_SAFE_INTEGER): Check {
  return (value, name, key) => {
    if (typeof value !== 'number') throw new TypeError(`${label(name, key)} must be an integer, got ${describeValue(value)}`);
    if (!Number.isInteger(value) || value < min || value > max) throw new RangeError(`${label(name, key)} must be an integer in [${min}, ${max}], got ${value}`);
  };
}

function number(min: number, max: number, minExclusive = false): Check {
  return (value, name, key) => {
    if (typeof value !== 'number') throw new TypeError(`${label(name, key)} must be a number, got ${describeValue(value)}`);
    if (!(minExclusive ? value > min : value >= min) || !(value <= max)) {
      throw new RangeError(`${label(name, key)} must be a number in ${minExclusive ? '(' : '['}${min}, ${max}], got ${value}`);
    }
  };
}

function typeOf(type: 'boolean' | 'string' | 'function'): Check {
  return (value, name, key) => {
    if (typeof value !== type) throw new TypeError(`${label(name, key)} must be a ${type}, got ${describeValue(value)}`);
  };
}

const boolean = typeOf('boolean');
const string = typeOf('string');
const func = typeOf('function');
/** Milliseconds, as a timer can wait them. */
const milliseconds = number(0, MAX_TIMER_MS, true);
const port = integer(0, 65535);
const uint16 = integer(0, 0xffff);

function bytes(length: number): Check {
  return (value, name, key) => {
    if (!(value instanceof Uint8Array)) throw new TypeError(`${label(name, key)} must be a Buffer or Uint8Array, got ${describeValue(value)}`);
    if (value.length !== length) throw new RangeError(`${label(name, key)} must be ${length} bytes, got ${value.length}`);
  };
}

function arrayOf(element: Check, nonEmpty: boolean): Check {
  return (value, name, key) => {
    if (!Array.isArray(value)) throw new TypeError(`${label(name, key)} must be an array, got ${describeValue(value)}`);
    if (nonEmpty && value.length === 0) throw new RangeError(`${label(name, key)} must not be empty`);
    const path = label(name, key);
    value.forEach((item, index) => element(item, path, index));
  };
}

const signal: Check = (value, name, key) => {
  if (!(value instanceof AbortSignal)) throw new TypeError(`${label(name, key)} must be an AbortSignal, got ${describeValue(value)}`);
};

/** An object whose listed fields pass their checks; `required` ones must be present. */
function fields(spec: Spec, required: readonly string[] = []): Check {
  // Listed once, as two arrays walked by index: `connect` and `accept` check their options on
  // every call (a handshake each), and destructuring `[field, check]` pairs left iterator garbage.
  const names = Object.keys(spec);
  const checks = Object.values(spec);
  return (value, name, key) => {
    if (typeof value !== 'object' || value === null) throw new TypeError(`${label(name, key)} must be an object, got ${describeValue(value)}`);
    const path = label(name, key);
    const record = value as Record<string, unknown>;
    for (let i = 0; i < required.length; i++) {
      if (record[required[i]!] === undefined) throw new TypeError(`${path}.${required[i]!} is required`);
    }
    for (let i = 0; i < names.length; i++) {
      const fieldValue = record[names[i]!];
      if (fieldValue !== undefined) checks[i]!(fieldValue, path, names[i]);
    }
  };
}

/**
 * An options object: `fields`, and every name in it is one of `spec`'s. Names are walked with
 * `for … in` (no array per call: `accept` and `connect` check their options on every handshake);
 * symbol keys, the library's internal seams, are not enumerated by it.
 */
function options(spec: Spec, required: readonly string[] = []): Check {
  const check = fields(spec, required);
  const known = Object.keys(spec);
  return (value, name, key) => {
    check(value, name, key);
    for (const option in value as object) {
      if (!Object.hasOwn(spec, option)) throw new TypeError(unknownOption(label(name, key), option, known));
    }
  };
}

/** `options.maxConnection is an unknown option; did you mean maxConnections?` */
function unknownOption(path: string, option: string, known: readonly string[]): string {
  const nearest = closestName(option, known);
  return `${path}.${option} is an unknown option; ${nearest ? `did you mean ${nearest}?` : `known options: ${known.join(', ')}`}`;
}

/**
 * The known name `option` is plausibly a misspelling of: the nearest by edit distance, if at most
 * a third of the name differs or the name is an abbreviation of it (`incomingQueueSize`).
 */
function closestName(option: string, known: readonly string[]): string | undefined {
  const lower = option.toLowerCase();
  const candidates = known.filter((name) => {
    const other = name.toLowerCase();
    return distance(lower, other) <= Math.max(2, Math.floor(option.length / 3)) || (option.length >= 4 && isSubsequence(lower, other));
  });
  return candidates.length === 0 ? undefined : closest(option, candidates);
}

function isSubsequence(short: string, long: string): boolean {
  let at = 0;
  for (const char of long) if (char === short[at]) at++;
  return at === short.length;
}

const identityFields = fields({ peerId: string, publicKey: bytes(32), secretKey: bytes(32), proofOfWorkStamp: bytes(24) }, ['peerId', 'publicKey', 'secretKey', 'proofOfWorkStamp']);

const identity: Check = (value, name, key) => {
  const hint = 'an Identity (from generateIdentity, readIdentityFile or identityFromJson)';
  if (typeof value !== 'object' || value === null) throw new TypeError(`${label(name, key)} must be ${hint}, got ${describeValue(value)}`);
  identityFields(value, name, key);
};

const codec = fields({ encode: func, decode: func }, ['encode', 'decode']);
const metadata = fields({ codec, privateNode: func }, ['codec', 'privateNode']);
const version = fields({ chainName: string, distributedDbVersion: uint16, p2pVersion: uint16 }, ['chainName', 'distributedDbVersion', 'p2pVersion']);
const difficulty = number(0, 256);

/** The per-connection options of `accept`, and of a pool's `accept`. */
const ACCEPT: Spec = {
  codec,
  incomingMessageQueueSize: integer(1),
  outgoingMessageQueueSize: integer(1),
  binaryChunksSize: (value, name, key) => {
    if (typeof value !== 'number') throw new TypeError(`${label(name, key)} must be a number, got ${describeValue(value)}`);
  },
  maxMessageSize: integer(4),
  signal,
  timeout: milliseconds,
  negotiatedVersion: version,
  messageTimeout: milliseconds,
  pendingMessageBudget: (value, name, key) => {
    if (!(value instanceof PendingMessageBudget)) throw new TypeError(`${label(name, key)} must be a PendingMessageBudget, got ${describeValue(value)}`);
  },
};

const AUTHENTICATE: Spec = {
  identity,
  incoming: boolean,
  announcedVersion: version,
  metadata,
  proofOfWorkDifficulty: difficulty,
  advertisedPort: port,
  remoteHost: string,
  remotePort: port,
  signal,
  timeout: milliseconds,
  messageNonce: bytes(24),
};

/** Bytes/s: a tick's grant (a tenth) must fit the shared table's int32 (io-scheduler.ts). */
const MAX_SPEED = 16 * 2 ** 30;

const POOL: Spec = {
  identity,
  chainName: string,
  distributedDbVersions: arrayOf(uint16, true),
  p2pVersions: arrayOf(uint16, true),
  metadata,
  codec,
  proofOfWorkDifficulty: difficulty,
  workers: integer(0, 1024),
  maxConnections: integer(0),
  maxIncomingHandshakes: integer(1),
  maxIncomingHandshakesPerAddress: integer(1),
  maxHandshakeTimeouts: integer(1),
  maxPendingMessageBytes: integer(0),
  maxUploadSpeed: integer(0, MAX_SPEED),
  maxDownloadSpeed: integer(0, MAX_SPEED),
  readBufferSize: integer(1, 2 ** 30),
  handshakeTimeout: milliseconds,
  connectTimeout: milliseconds,
  greylistMs: integer(0),
  privateMode: boolean,
  trustedPeers: arrayOf(string, false),
  allowDuplicatePeers: boolean,
  disablePeerDiscovery: boolean,
  advertisedPort: integer(1, 65535),
  accept: options(ACCEPT),
  policy: func,
};

const poolFields = options(POOL, ['identity', 'chainName', 'metadata']);
export const validatePoolOptions: (value: unknown) => void = (value) => poolFields(value, 'options');

const authenticateFields = options(AUTHENTICATE, ['identity', 'incoming', 'announcedVersion', 'metadata']);
const acceptFields = options(ACCEPT);
const connectFields = options(AUTHENTICATE, ['identity', 'announcedVersion', 'metadata']);
const connectPort = integer(1, 65535);

export const validateAuthenticateOptions: (value: unknown) => void = (value) => authenticateFields(value, 'options');

export const validateAcceptOptions: (value: unknown) => void = (value) => acceptFields(value, 'options');

/** `connect(host, port, options)`: the address, then the options (`incoming` is set by `connect`). */
export function validateConnectArguments(host: unknown, portNumber: unknown, options: unknown): void {
  string(host, 'host');
  connectPort(portNumber, 'port');
  connectFields(options, 'options');
}

/** `pool.listen` and `pool.close` options. */
const listenFields = options({ host: string, port, signal });
const closeFields = options({ wait: boolean, timeout: integer(0), reason: string, signal });
const dialPoint = fields({ host: string, port: connectPort }, ['host', 'port']);
const dialFields = options({ signal });

export const validateListenOptions: (value: unknown) => void = (value) => listenFields(value, 'options');
export const validateCloseOptions: (value: unknown) => void = (value) => closeFields(value, 'options');
/** An options object whose only field is `signal` (`pool.connections`). */
export const validateSignalOption: (value: unknown) => void = (value) => dialFields(value, 'options');

/** `connect(point, options)`: the point as `pool.connect` takes it, then the options. */
export function validateConnectPoint(point: unknown, options: unknown): void {
  dialPoint(point, 'point');
  connectFields(options, 'options');
}

/** `pool.connect(point, options)`. */
export function validateDial(point: unknown, options: unknown): void {
  dialPoint(point, 'point');
  dialFields(options, 'options');
}
