// npm's `prepare`: builds dist/ (the JavaScript and declarations an installed copy runs) with the
// clone's TypeScript. npm runs it in a clone's own `npm install`, in `npm pack`, in the temporary
// clone of a git install (after installing the devDependencies), and in the folder of a folder
// install (`npm install ../p2p-socket`), where npm installs nothing for the folder itself: a fresh
// clone installed that way has no TypeScript, nor the dependencies its linked copy needs at run
// time. So a clone without its dependencies gets them first, exactly as its lockfile says
// (`npm ci`, whose own `prepare` then builds). Plain JavaScript: it may run on any Node.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const tsc = fileURLToPath(new URL('../node_modules/typescript/bin/tsc', import.meta.url));

function run(file, args) {
  execFileSync(file, args, { cwd: root, stdio: 'inherit' });
}

if (existsSync(tsc)) {
  run(process.execPath, [tsc, '-p', 'tsconfig.build.json']);
} else {
  console.error(`p2p-socket: ${root} has no dependencies installed (a clone installed as a folder); installing them with 'npm ci' to build dist/.`);
  // The npm that runs this script, when there is one (npm_execpath), else the one on PATH.
  const npm = process.env.npm_execpath;
  const args = ['ci', '--no-audit', '--no-fund'];
  if (npm) run(process.execPath, [npm, ...args]);
  else run(process.platform === 'win32' ? 'npm.cmd' : 'npm', args);
  if (!existsSync(fileURLToPath(new URL('../dist/main/index.js', import.meta.url)))) {
    console.error(`p2p-socket: 'npm ci' in ${root} did not build dist/.`);
    process.exit(1);
  }
}
