/**
 * A throw-away self-signed certificate for the TLS systems, made with the `openssl` CLI at the
 * start of a run (Node can parse X.509 but not issue it). ECDSA P-256, CN=localhost, SAN
 * IP:127.0.0.1 and DNS:localhost, valid two days.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TlsFiles } from './adapter.ts';

export interface TlsMaterial {
  readonly files: TlsFiles | undefined;
  /** What was made, or why TLS is unavailable. */
  readonly note: string;
  cleanup(): void;
}

export function makeTlsMaterial(): TlsMaterial {
  const version = spawnSync('openssl', ['version'], { encoding: 'utf8' });
  if (version.error || version.status !== 0) {
    return { files: undefined, note: 'TLS skipped: the openssl CLI is not available to make a certificate', cleanup: () => undefined };
  }
  const dir = mkdtempSync(join(tmpdir(), 'p2p-load-tls-'));
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  const made = spawnSync(
    'openssl',
    [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ],
    { encoding: 'utf8' },
  );
  const cleanup = (): void => rmSync(dir, { recursive: true, force: true });
  if (made.error || made.status !== 0) {
    cleanup();
    return { files: undefined, note: `TLS skipped: openssl req failed: ${(made.stderr || String(made.error)).trim()}`, cleanup: () => undefined };
  }
  return { files: { keyFile, certFile }, note: `TLS certificate: self-signed ECDSA P-256 (${version.stdout.trim()})`, cleanup };
}
