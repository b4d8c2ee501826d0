/**
 * The module URLs a fresh Node process loads (ES modules and CommonJS alike, through
 * `module.registerHooks`) while it imports a specifier and then runs a few statements with the
 * import bound to `lib`. Run with the source condition, from the repository.
 */
import { execFileSync } from 'node:child_process';

export function modulesLoadedBy(specifier: string, then = ''): string[] {
  const script = `
    import { registerHooks } from 'node:module';
    const seen = [];
    registerHooks({ load(url, context, next) { seen.push(url); return next(url, context); } });
    const lib = await import(${JSON.stringify(specifier)});
    ${then}
    process.stdout.write(JSON.stringify(seen));
  `;
  const out = execFileSync(process.execPath, ['--conditions=p2p-socket-source', '--input-type=module', '-e', script], {
    cwd: new URL('../..', import.meta.url),
    encoding: 'utf8',
    timeout: 60_000,
  });
  return JSON.parse(out) as string[];
}

/** The npm packages among `urls` (`@scope/name` or `name`), sorted. */
export function packagesOf(urls: readonly string[]): string[] {
  const names = new Set<string>();
  for (const url of urls) {
    const match = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
    if (match?.[1] !== undefined) names.add(match[1]);
  }
  return [...names].sort();
}
