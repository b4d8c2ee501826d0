#!/usr/bin/env node
// Launcher of the `p2p-socket` command (src/main/cli/main.ts). Node >= 24.20 runs the TypeScript
// sources directly (type stripping). Node refuses to strip types under node_modules, so an
// installed copy runs the build output (dist/, `npm run build`) instead.
import { sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 24 || (major === 24 && minor < 20)) {
  console.error(`p2p-socket needs Node >= 24.20, this is ${process.version}. Run it through npm (npx p2p-socket, npm exec) to use the project's Node.`);
  process.exit(1);
}

const installed = fileURLToPath(import.meta.url).split(sep).includes('node_modules');
const { main, exitWith } = await import(installed ? '../dist/main/cli/main.js' : '../src/main/cli/main.ts');
exitWith(await main(process.argv.slice(2)));
