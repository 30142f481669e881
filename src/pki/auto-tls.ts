/**
 * etcd's --auto-tls / --peer-auto-tls: when enabled and no certificate is configured, use (or create)
 * a self-signed pair in <data-dir>/fixtures/client or /peer for the listen URLs' hosts.
 */
import { join } from 'node:path';
import { EMPTY_TLS_INFO, type TlsInfo } from '../platform/tls-config.js';
import { ensureSelfSignedFiles } from './self-signed-files.js';

export interface AutoTlsResult {
  info: TlsInfo;
  /** What happened, for the log: 'configured' (certs given), 'generated', 'reused', or 'off'. */
  outcome: 'configured' | 'generated' | 'reused' | 'off';
}

/**
 * Returns `info` unchanged when it has a certificate or auto-TLS is off; otherwise the self-signed
 * files (selfSigned: outgoing connections skip server verification, as etcd's auto-TLS does).
 * @throws Error if the fixtures cannot be written.
 */
export async function resolveAutoTls(info: TlsInfo, enabled: boolean, dataDir: string, side: 'client' | 'peer',
  hosts: readonly string[], validityYears: number): Promise<AutoTlsResult> {
  if (info.certFile !== '' || info.keyFile !== '') return { info, outcome: enabled ? 'configured' : 'off' };
  if (!enabled) return { info, outcome: 'off' };
  const unique = [...new Set(hosts.map((h) => h.replace(/^\[(.*)\]$/, '$1')))];
  const files = await ensureSelfSignedFiles(join(dataDir, 'fixtures', side), unique, validityYears);
  return {
    // As etcd's SelfCert: a fresh TLS info (no client-cert auth, CA or CRL), not verifying servers.
    info: { ...EMPTY_TLS_INFO, certFile: files.certFile, keyFile: files.keyFile, selfSigned: true },
    outcome: files.generated ? 'generated' : 'reused',
  };
}
