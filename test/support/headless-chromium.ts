/**
 * A headless Chromium for the tests that open a page, with nothing installed on the system: the
 * `@sparticuz/chromium` devDependency carries a brotli-compressed headless Chromium for Linux x64,
 * with the NSS libraries and fonts a minimal Debian lacks. It is unpacked once into
 * `node_modules/.cache/` and reused; the libraries and fonts are given to the browser process
 * only, and only where the system lacks them.
 *
 * Order of choice: `CHROMIUM_PATH` when set (the caller's explicit choice), then the bundled
 * browser (Linux x64), then Debian's `/usr/bin/chromium` (e.g. on arm64, where the bundled binary
 * does not run). A browser that cannot be had is an error that says what was tried.
 */
import { execFile } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { createBrotliDecompress } from 'node:zlib';
import { x as extractTar } from 'tar';

const PACKAGE_BIN = join(dirname(fileURLToPath(import.meta.resolve('@sparticuz/chromium'))), '..', 'bin');
const DEFAULT_CACHE = fileURLToPath(new URL('../../node_modules/.cache/p2p-socket-chromium/', import.meta.url));
const SYSTEM_CHROMIUM = '/usr/bin/chromium';
/** Unpack folders left by a process that died while unpacking are removed after this long. */
const STALE_PARTIAL_MS = 60 * 60 * 1000;

/**
 * Flags for a browser on a machine with a closed network and no display: nothing fetched in the
 * background, no GPU, no sandbox (tests run as root in containers). Playwright adds `--headless`
 * and the `--user-data-dir` of the profile it is given, which must be a fresh folder.
 */
export const CHROMIUM_ARGS: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface HeadlessChromium {
  readonly executablePath: string;
  /** Where the browser came from, for messages. */
  readonly source: 'CHROMIUM_PATH' | '@sparticuz/chromium' | typeof SYSTEM_CHROMIUM;
  /** The browser process's environment (playwright's `env` launch option). */
  readonly env: Record<string, string>;
}

/** The bundled browser, unpacked under `cacheDir` (once: later calls reuse it). */
export async function unpackBundledChromium(cacheDir: string = DEFAULT_CACHE): Promise<string> {
  const { version } = JSON.parse(await readFile(join(PACKAGE_BIN, '..', 'package.json'), 'utf8')) as { version: string };
  const unpacked = join(cacheDir, version);
  if (existsSync(join(unpacked, 'chromium'))) return unpacked;
  await mkdir(cacheDir, { recursive: true });
  await removeStalePartials(cacheDir);
  // Unpacked under a name of its own, then renamed whole: a process racing us either finds the
  // finished folder or loses the rename and drops its own copy.
  const partial = await mkdtemp(join(cacheDir, `${version}.partial-`));
  try {
    await chmod(partial, 0o755);
    await pipeline(createReadStream(join(PACKAGE_BIN, 'chromium.br')), createBrotliDecompress(), createWriteStream(join(partial, 'chromium'), { mode: 0o755 }));
    // swiftshader: the software GL libraries the binary looks for beside itself.
    await extractTar({ file: join(PACKAGE_BIN, 'swiftshader.tar.br'), cwd: partial, brotli: true });
    await mkdir(join(partial, 'libraries'));
    await extractTar({ file: join(PACKAGE_BIN, 'al2023.tar.br'), cwd: join(partial, 'libraries'), brotli: true });
    await mkdir(join(partial, 'fonts'));
    await extractTar({ file: join(PACKAGE_BIN, 'fonts.tar.br'), cwd: join(partial, 'fonts'), brotli: true });
    // The package's own fonts.conf names Lambda's folders: one naming ours instead.
    await writeFile(join(partial, 'fonts.conf'), `<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n  <dir>${unpacked}/fonts/fonts</dir>\n  <cachedir>${unpacked}/fonts-cache</cachedir>\n</fontconfig>\n`);
    await rename(partial, unpacked);
  } catch (error) {
    await rm(partial, { recursive: true, force: true });
    const code = (error as NodeJS.ErrnoException).code;
    if ((code === 'ENOTEMPTY' || code === 'EEXIST') && existsSync(join(unpacked, 'chromium'))) return unpacked;
    throw error;
  }
  return unpacked;
}

async function removeStalePartials(cacheDir: string): Promise<void> {
  for (const name of await readdir(cacheDir)) {
    if (!name.includes('.partial-')) continue;
    const path = join(cacheDir, name);
    const info = await stat(path).catch(() => undefined);
    if (info && Date.now() - info.mtimeMs > STALE_PARTIAL_MS) await rm(path, { recursive: true, force: true });
  }
}

/** `chromium --version` under `env`: undefined when it runs, otherwise why not. */
function failureToRun(executablePath: string, env: Record<string, string>): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(executablePath, ['--version'], { env, timeout: 30_000 }, (error, _stdout, stderr) => {
      resolve(error === null ? undefined : `${error.message.split('\n')[0]} ${stderr.trim()}`.trim());
    });
  });
}

function processEnv(): Record<string, string> {
  return Object.fromEntries(Object.entries(process.env).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

/** The bundled browser with the environment it needs here, or why it cannot run. */
async function bundled(cacheDir: string): Promise<HeadlessChromium | string> {
  if (process.platform !== 'linux' || process.arch !== 'x64') return `@sparticuz/chromium: built for linux-x64, this is ${process.platform}-${process.arch}`;
  const unpacked = await unpackBundledChromium(cacheDir);
  const executablePath = join(unpacked, 'chromium');
  const env = processEnv();
  // Fonts: the system's fontconfig set-up when there is one, the package's fonts otherwise.
  if (env['FONTCONFIG_FILE'] === undefined && !existsSync('/etc/fonts/fonts.conf')) env['FONTCONFIG_FILE'] = join(unpacked, 'fonts.conf');
  const withSystemLibraries = await failureToRun(executablePath, env);
  if (withSystemLibraries === undefined) return { executablePath, source: '@sparticuz/chromium', env };
  // The loader could not find a library (no libnss3 on a minimal system): the package's own.
  const libraries = join(unpacked, 'libraries', 'lib');
  env['LD_LIBRARY_PATH'] = env['LD_LIBRARY_PATH'] ? `${libraries}:${env['LD_LIBRARY_PATH']}` : libraries;
  const withBundledLibraries = await failureToRun(executablePath, env);
  if (withBundledLibraries === undefined) return { executablePath, source: '@sparticuz/chromium', env };
  return `@sparticuz/chromium (${executablePath}): ${withSystemLibraries}; with its own libraries: ${withBundledLibraries}`;
}

/** A headless Chromium that runs here; throws, naming every candidate and why it failed, if none does. */
export async function headlessChromium(cacheDir: string = DEFAULT_CACHE): Promise<HeadlessChromium> {
  const chosen = process.env['CHROMIUM_PATH'];
  if (chosen !== undefined && chosen !== '') {
    const failure = await failureToRun(chosen, processEnv());
    if (failure === undefined) return { executablePath: chosen, source: 'CHROMIUM_PATH', env: processEnv() };
    throw new Error(`CHROMIUM_PATH=${chosen} does not run: ${failure}`);
  }
  const failures: string[] = [];
  const fromPackage = await bundled(cacheDir);
  if (typeof fromPackage !== 'string') return fromPackage;
  failures.push(fromPackage);
  if (existsSync(SYSTEM_CHROMIUM)) {
    const failure = await failureToRun(SYSTEM_CHROMIUM, processEnv());
    if (failure === undefined) return { executablePath: SYSTEM_CHROMIUM, source: SYSTEM_CHROMIUM, env: processEnv() };
    failures.push(`${SYSTEM_CHROMIUM}: ${failure}`);
  } else {
    failures.push(`${SYSTEM_CHROMIUM}: not installed`);
  }
  throw new Error(`no headless Chromium runs here (set CHROMIUM_PATH to one that does):\n  ${failures.join('\n  ')}`);
}
