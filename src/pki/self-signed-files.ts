/**
 * etcd's auto-TLS on disk: <dir>/cert.pem and <dir>/key.pem (dir is <data-dir>/fixtures/client or /peer).
 * Existing files are reused, as etcd does, so a restarted member keeps its certificate. The X.509 library
 * is loaded only when a certificate must be generated (it is large; server start-up should not pay for it).
 */
import { existsSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const DAYS_PER_YEAR = 365;

export interface CertKeyFiles { certFile: string; keyFile: string }

/**
 * Returns the auto-TLS cert/key paths in `dir`, generating a self-signed pair valid for `validityYears`
 * for `hosts` when they do not exist yet. The key file is written with mode 0600.
 * @throws Error if the directory or files cannot be written.
 */
export async function ensureSelfSignedFiles(dir: string, hosts: readonly string[],
  validityYears: number): Promise<CertKeyFiles & { generated: boolean }> {
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  if (existsSync(certFile) && existsSync(keyFile)) return { certFile, keyFile, generated: false };
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const { createSelfSignedCert } = await import('./certs.js');
  const issued = await createSelfSignedCert({ hosts, validityDays: validityYears * DAYS_PER_YEAR });
  await writeFile(`${keyFile}.tmp`, issued.keyPem, { mode: 0o600 });
  await writeFile(`${certFile}.tmp`, issued.certPem, { mode: 0o644 });
  await rename(`${keyFile}.tmp`, keyFile);
  await rename(`${certFile}.tmp`, certFile);
  return { certFile, keyFile, generated: true };
}
