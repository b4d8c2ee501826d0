/**
 * A child process of peers that flood a server with empty or tiny messages (bench/soak/tiny-flood.ts),
 * so the server's memory is measured without theirs.
 *
 *   node tiny-flood-peers.ts <port> <peers> [<body size>] [<chain name>]
 *
 * Sends IPC `{ ready: peers }` once every peer is established and flooding; answers `'sent'` with
 * `{ sent }` (messages sent by all); exits when the parent disconnects.
 */
import { TEST_UTILS_NETWORK_VERSION } from '../../src/shared/wire/network-version.ts';
import { startTinyFlood, type TinyFlooder } from '../soak/tiny-flood.ts';

const [portText, peersText, bodySizeText, chainName] = process.argv.slice(2);
const port = Number(portText);
const count = Number(peersText ?? 1);
const version = chainName ? { ...TEST_UTILS_NETWORK_VERSION, chainName } : TEST_UTILS_NETWORK_VERSION;

process.on('disconnect', () => process.exit(0));
setTimeout(() => process.exit(3), 120_000).unref(); // bounded: never outlives a stuck parent

const flooders: TinyFlooder[] = [];
for (let i = 0; i < count; i++) flooders.push(await startTinyFlood(port, version, Number(bodySizeText ?? 0)));
process.send?.({ ready: flooders.length });
process.on('message', (message) => {
  if (message === 'sent') process.send?.({ sent: flooders.reduce((sum, flooder) => sum + flooder.sent(), 0) });
});
