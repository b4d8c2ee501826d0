// Fails early, with a message that names the cause and the fix, when an npm script does not run
// on the project's own Node (the `node` devDependency, architecture.md §7): Node >= 24.20 is
// needed for type stripping and for transferring sockets to worker threads. Plain JavaScript
// that any Node runs, since it is meant for the Node that cannot run the rest.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// The rule of src/main/node-version.ts (supportsSocketTransfer), which this Node may not load.
const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
if (!((major === 24 && minor >= 20) || (major === 26 && minor >= 6) || major > 26)) {
  const nodePackage = fileURLToPath(new URL('../node_modules/node/package.json', import.meta.url));
  const nodeBinary = fileURLToPath(new URL('../node_modules/node/bin/node', import.meta.url));
  const needs = `p2p-socket needs Node >= 24.20 (or >= 26.6), this is ${process.version} (${process.execPath}).`;
  let why;
  if (!existsSync(nodePackage)) {
    why = "The project's Node is not installed: run 'npm install' first; it installs Node 24 as a devDependency (the `node` package) that npm scripts use.";
  } else if (!existsSync(nodeBinary)) {
    const configured = process.env.npm_config_ignore_scripts === 'true' ? ' (ignore-scripts is set in your npm config)' : '';
    why =
      `The \`node\` devDependency is there without its binary: its install script, which fetches Node 24, did not run${configured}, ` +
      "as after 'npm install --ignore-scripts'. Run 'npm rebuild node' to run it (or 'npm install' without --ignore-scripts).";
  } else {
    why = `The project's Node is installed (${nodeBinary}) but this was started with another one: run it through npm ('npm test', 'npm run …') or with node_modules/.bin/node.`;
  }
  console.error(`${needs}\n${why}`);
  process.exit(1);
}
