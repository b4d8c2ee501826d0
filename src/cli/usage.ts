/**
 * Usage texts of `p2p-socket`. The synopsis is a contract with the programs that drive the tool
 * (docs/cli.md); change it only together with the parsers (`args.ts` and each command's `*-options.ts`).
 */

import { SYNOPSIS_CRAWL } from './crawl/crawl-usage.ts';
import { SYNOPSIS_LOAD } from './load/load-usage.ts';

const SYNOPSIS_IDENTITY_GENERATE = 'p2p-socket identity generate [--difficulty F] [--out FILE] [--count K] [--json]   (progress on a TTY, stderr)';
const SYNOPSIS_IDENTITY_SHOW = 'p2p-socket identity show FILE [--difficulty F] [--json]';
const SYNOPSIS_LISTEN = [
  'p2p-socket listen  [--host H] [--port P] [--ready-file FILE] [--connections N] [--echo]',
  '                   [--nack MOTIVE] [--nack-points a:p,...]',
  '                   [--node [--points a:p,...] [--genesis B...] [--block-interval MS]]',
  '                   [--workers N [--max-connections N] [--max-handshakes N] [--allow-duplicate-peers]',
  '                    [--metrics-port P] [--max-upload-speed KIB] [--max-download-speed KIB]]',
].join('\n');
const SYNOPSIS_CONNECT = 'p2p-socket connect HOST:PORT [--send N] [--size BYTES] [--expect-echo]';
const SYNOPSIS_CODEC = [
  'p2p-socket codec decode [--framed] HEX|-     (peer message bytes to one JSON line)',
  'p2p-socket codec encode [--framed] JSON|-    (a JSON peer message to hex)',
].join('\n');
const SYNOPSIS_COMMON = [
  'common: [--identity FILE] [--difficulty F] [--chain NAME] [--ddb V] [--p2p V]',
  '        [--private-node] [--disable-mempool] [--chunk-size BYTES] [--timeout MS] [--json]',
].join('\n');

const COMMON_FLAGS = `Common flags (listen, connect):
  --identity FILE      identity.json to use (default: a fresh identity at --difficulty)
  --difficulty F       proof of work demanded from peers, and the level of the identity
                       generated when no --identity is given (default 0: instant)
  --chain NAME         chain name announced and required from peers (default SANDBOXED_MAVRYK)
  --ddb V              announced distributed_db_version; versions 0..V accepted (default 2)
  --p2p V              announced p2p_version; versions 0..V accepted (default 1)
  --private-node       announce private_node in the metadata
  --disable-mempool    announce disable_mempool in the metadata
  --chunk-size BYTES   binary_chunks_size: total wire size of the chunks we write, 19..65535
  --timeout MS         limit of each step that waits on the peer (default 10000): authenticate
                       + accept; each write, echo and the final flush (connect); each echo (listen)
  --json               one JSON object per line on stdout; the last line is the summary`;

const EXIT_CODES = `Exit status: 0 success, 1 failure (see the summary's error), 2 bad usage (a file named that
cannot be read or is too large included).`;

export const MAIN_USAGE = `Usage:
${SYNOPSIS_IDENTITY_GENERATE}
${SYNOPSIS_IDENTITY_SHOW}
${SYNOPSIS_LISTEN}
${SYNOPSIS_CONNECT}
${SYNOPSIS_LOAD}
${SYNOPSIS_CRAWL}
${SYNOPSIS_CODEC}
${SYNOPSIS_COMMON}

Run 'p2p-socket <command> --help' for details. ${EXIT_CODES}
`;

export const IDENTITY_USAGE = `Usage:
${SYNOPSIS_IDENTITY_GENERATE}
${SYNOPSIS_IDENTITY_SHOW}

Run 'p2p-socket identity generate --help' or 'p2p-socket identity show --help' for details.
`;

export const IDENTITY_GENERATE_USAGE = `Usage:
${SYNOPSIS_IDENTITY_GENERATE}

Generates an identity (X25519 keys and a proof-of-work stamp) over every core and writes it
as identity.json in the node's layout (mode 0600, replaced atomically).
  --difficulty F       proof-of-work difficulty, 0..256, fractions allowed (default 26, the node's)
  --out FILE           where to write it (default ./identity.json; an existing file is replaced)
  --count K            K identities in one file, a JSON array, for 'p2p-socket load --identities'
  --json               print the summary as one JSON object
${EXIT_CODES}
`;

export const IDENTITY_SHOW_USAGE = `Usage:
${SYNOPSIS_IDENTITY_SHOW}

Checks identity.json as the node reads it and prints its peer id, public key and the
proof-of-work difficulty its stamp meets. The secret key is never printed.
  --difficulty F       also require the stamp to meet difficulty F (INSUFFICIENT_PROOF_OF_WORK)
  --json               print the summary as one JSON object
Error codes: INVALID_IDENTITY, IDENTITY_MISMATCH, IDENTITY_KEYS_MISMATCH, INSUFFICIENT_PROOF_OF_WORK.
${EXIT_CODES}
`;

export const LISTEN_USAGE = `Usage:
${SYNOPSIS_LISTEN}
${SYNOPSIS_COMMON}

Accepts peers, authenticates them, selects a common version and reads their messages.
  --host H             address to bind (default 127.0.0.1)
  --port P             port to bind (default 0: any free port)
  --ready-file FILE    once listening, write the bound port (just the number) to FILE
  --connections N      exit after N connections have ended (default: run until SIGINT/SIGTERM)
  --echo               send every received message back
  --nack MOTIVE        nack every connection: TOO_MANY_CONNECTIONS, Unknown_chain_name, 5, ...
  --nack-points LIST   alternative points sent with --nack: a.b.c.d:port,[v6]:port,...
  --node               answer every peer as a small node does (docs/node.md): Get_current_branch
                       first, Bootstrap -> Advertise, branch, head and headers of a synthetic
                       chain whose genesis follows --chain (the sandboxes: Mavryk mainnet's)
  --points LIST        (--node) the points Bootstrap is answered with: a.b.c.d:port,[v6]:port,...
  --genesis B...       (--node) the chain's genesis block hash; the chain id derives from it
  --block-interval MS  (--node) bake a block every MS and announce it (default: the head stays)
  --workers N          serve through a Pool, the node's accept policy, on N shard threads
                       (0: inline); prints totals instead of one record per connection
  --max-connections N  (--workers) peers beyond N are nacked TOO_MANY_CONNECTIONS (default 100)
  --max-handshakes N   (--workers) incoming handshakes in flight beyond N are closed (default 20)
  --allow-duplicate-peers  (--workers) accept several connections with one peer id
  --metrics-port P     (--workers) serve Prometheus metrics at http://127.0.0.1:P/metrics
                       (0: any free port; the 'metrics' event prints it)
  --max-upload-speed KIB, --max-download-speed KIB  (--workers) the pool's bandwidth limits in
                       KiB/s, all connections and shards together (0: none; docs/bandwidth.md)
${COMMON_FLAGS}
A connection fails its entry if its handshake fails or no common version exists (the peer is
then nacked with UNKNOWN_CHAIN_NAME or DEPRECATED_*); a nack sent by --nack counts as success.
With --workers, refusals (handshake limits, a greylisted address, nacks) are printed as
'refused' and 'greylisted' lines and counted in the summary's 'refused'; they do not fail the run.
${EXIT_CODES} (listen: 0 only if every connection succeeded)
`;

export const CONNECT_USAGE = `Usage:
${SYNOPSIS_CONNECT}
${SYNOPSIS_COMMON}

Dials HOST:PORT, authenticates, selects a common version, sends messages and closes.
  --send N             number of messages to send (default 1)
  --size BYTES         payload size of each random message (default 32)
  --expect-echo        read N messages back and check they match byte for byte
${COMMON_FLAGS}
${EXIT_CODES}
`;

export const CODEC_USAGE = `Usage:
${SYNOPSIS_CODEC}

Converts peer messages (docs/messages.md) between their bytes and their JSON form, like
octez-codec. The bytes are the message itself, u16 tag then body, as lowercase or uppercase hex;
with --framed, the stream form with its u32 length prefix in front.
  decode HEX           prints the message as one JSON line: "kind", hashes and ids in base58check,
                       levels and counts as numbers, 64-bit times as decimal strings, bytes as hex
  encode JSON          prints the hex of a message in that JSON form (what decode prints)
  -                    read one input per line from stdin and print one line per input, in order;
                       an input that fails prints {"error":{"code","message","path"}} and the rest go on
  --framed             input and output with the u32 length prefix
A single input that fails prints the same error line on stderr and exits 1; stdout carries results
only. The error names the field that failed in "path" (e.g. Current_branch.locator.history[3]).
Exit status: 0 success, 1 a single input failed, 2 bad usage.
`;
