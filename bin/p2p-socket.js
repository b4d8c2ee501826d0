#!/usr/bin/env node
// Launcher of the `p2p-socket` command (src/cli/main.ts). Node >= 24.20 runs the TypeScript
// sources directly (type stripping). Node refuses to strip types under node_modules, so an
// installed copy runs the build output (dist/, built by `prepare`) instead.
import { sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const installed = fileURLToPath(import.meta.url).split(sep).includes('node_modules');

// The same rule as src/main/node-version.ts (which plain JS on an old Node cannot import from a
// clone): sockets move to worker threads from Node 24.20 on the 24 line, 26.6 on later ones.
const [major, minor] = process.versions.node.split('.').map(Number);
if (!((major === 24 && minor >= 20) || (major === 26 && minor >= 6) || major > 26)) {
  const why = `p2p-socket needs Node.js >= 24.20 (or >= 26.6) to hand sockets to worker threads; this is ${process.version}.`;
  const what = installed
    ? 'Install a newer Node.js (for example `nvm install 24`) and run p2p-socket with it.'
    : "In this clone, run 'npm install' once (it installs Node 24 as a devDependency), then 'npx p2p-socket …' or the npm scripts, which run on that Node.";
  console.error(`${why}\n${what}`);
  process.exit(1);
}

const { main, exitWith } = await import(installed ? '../dist/cli/main.js' : '../src/cli/main.ts');
exitWith(await main(process.argv.slice(2)));
