#!/bin/sh
# Two processes with the CLI: a listener that echoes one connection, and a client that sends to
# it. The listener writes its port to a ready file once it listens; the client waits for it.
#
# Run from a clone (after npm install) or a project that installed p2p-socket: sh examples/cli-session.sh
set -eu
# #region session
dir=$(mktemp -d) # a fresh directory each run: never a stale ready file from an earlier listener
trap 'rm -rf "$dir"' EXIT
# The listener runs in the background as itself, so that `kill "$listener"` reaches it (SIGINT or
# SIGTERM: it closes and exits). npx would run it under npm and a shell, which do not pass such a
# signal on. node_modules/.bin holds the Node that `npm install` brings to a clone, and
# p2p-socket in a project that installed it; in a clone it is bin/p2p-socket.js.
PATH="$PWD/node_modules/.bin:$PATH"
p2p_socket=node_modules/.bin/p2p-socket
[ -e "$p2p_socket" ] || p2p_socket=bin/p2p-socket.js
node "$p2p_socket" listen --port 0 --ready-file "$dir/port" --connections 1 --echo --json > "$dir/listen.log" &
listener=$!
# The file appears whole (written, then renamed) once the listener listens. Wait up to 30 s, and
# stop waiting if the listener died.
for _ in $(seq 300); do
  if [ -s "$dir/port" ] || ! kill -0 "$listener" 2> /dev/null; then break; fi
  sleep 0.1
done
if [ ! -s "$dir/port" ]; then echo "the listener did not start" >&2; exit 1; fi
npx p2p-socket connect "127.0.0.1:$(cat "$dir/port")" --send 100 --size 1000 --expect-echo --json
wait "$listener" # exit status 0: its one connection went well
tail -n 1 "$dir/listen.log"
# #endregion session
