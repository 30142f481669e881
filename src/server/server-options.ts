/** What the server needs from the configuration (src/embed maps flags onto it). */
import type { BootstrapConfig } from './bootstrap.js';

export interface ServerOptions extends BootstrapConfig {
  heartbeatIntervalMs: number;
  electionTimeoutMs: number;
  snapshotCount: number;
  maxSnapshots: number;
  maxWals: number;
  maxTxnOps: number;
  maxRequestBytes: number;
  quotaBackendBytes: number;
  preVote: boolean;
  strictReconfigCheck: boolean;
  advertiseClientUrls: string[];
  warningApplyDurationMs: number;
}
