/**
 * Usage texts of `p2p-socket load` and `load merge` (docs/cli.md). The flags are a contract with
 * the programs that drive the tool: change them only together with load-options.ts.
 */

export const SYNOPSIS_LOAD = [
  'p2p-socket load [HOST:PORT] [--connections N] [--min-connections N] [--ramp R] [--duration S] [--warmup S]',
  '                [--mode echo|send|churn|node] [--in-flight K] [--rate M] [--size B | --sizes a,b | --size-dist FILE]',
  '                [--mix head=8,branch=1,bootstrap=1] [--chain-id Net...] [--rate-per-connection R|max]',
  '                [--processes P] [--target-workers N] [--metrics-port P] [--max-upload-speed KIB]',
  '                [--max-download-speed KIB] [--identities FILE] [--difficulty F] [--allow-duplicate-peers]',
  '                [--chain NAME] [--timeout MS] [--connect-concurrency N]',
  '                [--threshold EXPR]... [--json] [--report FILE.html]',
  'p2p-socket load merge A.json B.json... [--threshold EXPR]... [--json]',
].join('\n');

const EXIT = 'Exit status: 0 success, 1 fewer connections than --min-connections, a threshold failed or the report could not be written, 2 bad usage.';

export const LOAD_USAGE = `Usage:
${SYNOPSIS_LOAD}

Loads a node (or any wire-compatible peer) at HOST:PORT with many authenticated connections. Without
HOST:PORT it starts an embedded target first: 'p2p-socket listen --workers N' in a child process
('listen --node' in node mode).
  --connections N      peers to hold (default 100; churn: connections handshaking at once)
  --min-connections N  connections that must be reached for the run to pass (default: all of
                       --connections; not in churn mode); checked as the threshold connections>=N
  --ramp R             new connections per second (default: as fast as --connect-concurrency allows)
  --duration S         measured seconds, after the ramp and the warm-up (default 10)
  --warmup S           seconds of traffic before the measurement starts (default 0)
  --mode M             echo: every message is echoed back, --in-flight K per connection (closed
                       loop; the target must echo, as 'listen --echo' does); send: one way,
                       latency until the message is handed to the socket; churn: connect,
                       handshake, close, again (handshakes/s); node: every connection is a valid
                       peer of a Tezos-family node (one identity each, port 0, its chain learnt
                       from the node, Get_current_branch first, never an undecodable byte) and
                       sends the --mix of requests; latency from each request to its answer,
                       per kind too (default echo)
  --in-flight K        messages outstanding per connection (default 1)
  --rate M             messages (churn: handshakes) per second in total, open loop: latency is
                       measured from when each one was due, so a stalled target shows up in it
                       (no coordinated omission)
  --mix KIND=W,...     node mode: weights of head (Get_current_head), branch (Get_current_branch)
                       and bootstrap (Bootstrap) requests (default head=8,branch=1,bootstrap=1)
  --chain-id Net...    node mode: the chain to ask about if the target names none first
  --rate-per-connection R|max  node mode: requests/s per connection (max: closed loop of
                       --in-flight). Default: under Octez v25's per-connection throttle (one
                       head or branch request per 4 s); --rate is spread over the connections
                       and refused past that; the summary says if a run exceeded it
  --size B             message body size in bytes (default 100)
  --sizes a,b,c        sizes picked at random, equally likely
  --size-dist FILE     JSON object {"size": weight, ...}, sizes picked by weight
  --processes P        generator processes, connections split between them (default: from the
                       cores and the connections; the summary says if the generator was saturated)
  --target-workers N   shard threads of the embedded target (default 1; 0: inline pool)
  --metrics-port P     the embedded target serves Prometheus metrics at http://127.0.0.1:P/metrics
  --max-upload-speed KIB, --max-download-speed KIB  the embedded target's bandwidth limits, KiB/s
  --identities FILE    peer identities to use (from 'identity generate --count K'); without it
                       one fresh identity per connection is made at --difficulty (default 0)
  --allow-duplicate-peers  the target accepts several connections with one peer id (listen
                       --allow-duplicate-peers; the embedded target does): needed to open more
                       connections than --identities holds
  --threshold EXPR     p50|p90|p99|p999|max <|<=|>|>=|==|!= N[us|ms|s], errors==0, handshake_errors,
                       connections, msgs/s, mb/s, handshakes/s; node mode: p99[head]<5ms (one
                       kind's latency); repeatable; a failure exits 1
  --json               the summary as one JSON object, last on stdout (live lines stay on stderr)
  --report FILE.html   a self-contained page with throughput and latency over time and the
                       latency distribution (its directory must exist and be writable)
  --chain NAME         chain name announced (default SANDBOXED_MAVRYK)
  --timeout MS         limit for each connection's dial + handshake (default 10000)
  --connect-concurrency N  handshakes in flight at once, over all processes (default 8)
Live view on a terminal (stderr), one plain line per second otherwise.
${EXIT}
`;

export const LOAD_MERGE_USAGE = `Usage:
p2p-socket load merge A.json B.json... [--threshold EXPR]... [--json]

Merges the --json summaries of load runs made at the same time (from several machines): counts
and rates add up, the latency histograms merge exactly. Each file is a summary object, or the
--json output of a run (its last line is used).
${EXIT}
`;
