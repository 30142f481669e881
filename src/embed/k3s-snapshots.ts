/**
 * Starts K3s-style scheduled snapshots (src/ha) for a running member: the scheduler takes them as a
 * client of this member's first client URL, with the client TLS files when that URL is https.
 */
import { readFileSync } from 'node:fs';
import type { Logger } from '../platform/logger.js';
import { startServerSnapshots } from '../ha/server-flags.js';
import type { SnapshotScheduler } from '../ha/scheduler.js';
import type { MemberTls } from '../ha/options.js';
import type { ServerConfig } from './config.js';

/** Undefined for a hand-made config without flag values (embedders run their own schedules). */
export function startK3sSnapshots(config: ServerConfig, clientPorts: readonly number[],
  logger: Logger): SnapshotScheduler | undefined {
  const url = config.listenClientUrls[0];
  const port = clientPorts[0];
  if (config.flagValues === undefined || url === undefined || port === undefined) return undefined;
  const host = url.hostname === '0.0.0.0' || url.hostname === 'localhost' || url.hostname === '::'
    ? '127.0.0.1' : url.hostname;
  const https = url.protocol === 'https:';
  return startServerSnapshots(config.flagValues, {
    dataDir: config.dataDir, nodeName: config.name, endpoint: `${https ? 'https' : 'http'}://${host}:${port}`,
    ...(https ? { tls: clientTlsFiles(config) } : {}),
  }, logger);
}

function clientTlsFiles(config: ServerConfig): MemberTls {
  const read = (path: string): Buffer | undefined => (path === '' ? undefined : readFileSync(path));
  const tls: MemberTls = {};
  const ca = read(config.clientTls.trustedCaFile);
  const cert = read(config.clientTls.certFile);
  const key = read(config.clientTls.keyFile);
  if (ca !== undefined) tls.ca = ca;
  if (cert !== undefined) tls.cert = cert;
  if (key !== undefined) tls.key = key;
  return tls;
}
