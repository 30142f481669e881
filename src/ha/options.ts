/**
 * Options for K3s-style snapshots: where snapshots go, how they are named, retention, compression,
 * the member to stream them from and the S3 target. Flag names and defaults follow K3s
 * (`--etcd-snapshot-*`, `--etcd-s3-*`); see docs/k3s-snapshots.md.
 */
import { join } from 'node:path';
import type { Clock } from '../base/clock.js';

/** K3s's default schedule: at minute 0 of every 12th hour. */
export const SNAPSHOT_CRON_DEFAULT = '0 */12 * * *';
/** K3s's default number of scheduled snapshots kept per name prefix and node. */
export const SNAPSHOT_RETENTION_DEFAULT = 5;
/** Base name of scheduled snapshots. */
export const SCHEDULED_NAME_DEFAULT = 'etcd-snapshot';
/** Base name of `tetcd snapshot save` snapshots. */
export const ON_DEMAND_NAME_DEFAULT = 'on-demand';
/** K3s's default S3 endpoint (AWS). */
export const S3_ENDPOINT_DEFAULT = 's3.amazonaws.com';
/** K3s's default S3 region. */
export const S3_REGION_DEFAULT = 'us-east-1';
/** K3s's default S3 operation timeout (5m). */
export const S3_TIMEOUT_MS_DEFAULT = 5 * 60_000;
/** Default time allowed to stream one snapshot from the member. */
export const SNAPSHOT_STREAM_TIMEOUT_MS_DEFAULT = 10 * 60_000;

/** S3 target (K3s `--etcd-s3-*`). */
export interface S3Options {
  /** Host[:port] without scheme (`--etcd-s3-endpoint`). */
  endpoint: string;
  /** PEM file trusted for the endpoint's certificate (`--etcd-s3-endpoint-ca`). */
  endpointCaPath?: string;
  /** Accept any certificate (`--etcd-s3-skip-ssl-verify`). */
  skipSslVerify: boolean;
  /** Access key; undefined ⇒ AWS_ACCESS_KEY_ID or the SDK's default chain. */
  accessKey?: string;
  /** Secret key; undefined ⇒ AWS_SECRET_ACCESS_KEY or the SDK's default chain. */
  secretKey?: string;
  bucket: string;
  region: string;
  /** Key prefix without leading/trailing slash ('' for the bucket root). */
  folder: string;
  /** Plain http instead of https (`--etcd-s3-insecure`). */
  insecure: boolean;
  /** Timeout of each S3 operation. */
  timeoutMs: number;
}

/** TLS material (PEM) for the member's client endpoint. */
export interface MemberTls {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

/** Where and how to take snapshots. */
export interface SnapshotOptions {
  /** Member client endpoint: `host:port`, `http://host:port` or `https://host:port`. */
  endpoint: string;
  tls?: MemberTls;
  /** Directory of local snapshots (created if missing). */
  dir: string;
  /** Base name (`etcd-snapshot` for scheduled, `on-demand` for save). */
  name: string;
  /** Node name put in file names (the member name or host name). */
  nodeName: string;
  /** Zip the snapshot (`.zip`). */
  compress: boolean;
  /** Snapshots kept per name and node after a snapshot; 0 keeps all. */
  retention: number;
  /** Upload to S3 too when set. */
  s3?: S3Options;
  /** Wall clock for the timestamp in file names (tests inject one). */
  clock?: Clock;
  /** Time allowed for streaming one snapshot. */
  streamTimeoutMs?: number;
}

/** Scheduler options: snapshot options plus the cron pattern. */
export interface SchedulerOptions extends SnapshotOptions {
  /** 5-field (K3s) or 6-field (with seconds) cron pattern. */
  cron: string;
  /** `--etcd-disable-snapshots`: start nothing. */
  disabled?: boolean;
}

/**
 * K3s's default snapshot directory for a data dir. K3s documents `${data-dir}/db/snapshots` where its
 * server data dir is `<--data-dir>/server`, i.e. `/var/lib/rancher/k3s/server/db/snapshots`; tetcd keeps
 * the same `server/` layout as its token and TLS files.
 */
export function defaultSnapshotDir(dataDir: string): string {
  return join(dataDir, 'server', 'db', 'snapshots');
}

const DURATION_UNITS_MS: Readonly<Record<string, number>> = {
  ms: 1, s: 1_000, m: 60_000, h: 3_600_000,
};

/**
 * Parses a Go duration as K3s flags take it (`5m`, `30s`, `1h30m`, `1500ms`); a bare number is seconds.
 * @throws RangeError on malformed input.
 */
export function parseGoDurationMs(text: string): number {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1_000;
  const part = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
  let totalMs = 0;
  let consumed = 0;
  for (const match of trimmed.matchAll(part)) {
    if (match.index !== consumed) break;
    totalMs += Number(match[1]) * DURATION_UNITS_MS[match[2]!]!;
    consumed += match[0].length;
  }
  if (consumed === 0 || consumed !== trimmed.length) throw new RangeError(`invalid duration ${JSON.stringify(text)}`);
  return Math.round(totalMs);
}

/** The S3 key prefix for a folder (`folder/` or ''). */
export function s3KeyPrefix(folder: string): string {
  const clean = folder.replace(/^\/+|\/+$/g, '');
  return clean === '' ? '' : `${clean}/`;
}
