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
  /** --auto-compaction-mode and --auto-compaction-retention as given ('0' disables). */
  autoCompactionMode: 'periodic' | 'revision';
  autoCompactionRetention: string;
  advertiseClientUrls: string[];
  warningApplyDurationMs: number;
  /** Lease checkpoint interval (--experimental-enable-lease-checkpoint); undefined: disabled. */
  leaseCheckpointIntervalMs?: number | undefined;
  /** --experimental-corrupt-check-time in ms; 0 or absent: no periodic corruption check. */
  corruptCheckTimeMs?: number;
}
