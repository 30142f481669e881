/**
 * K3s's snapshot flags for `tetcd server` (names, kinds, defaults, help, in the shape of
 * src/embed/flag-spec.ts entries) and their conversion to SchedulerOptions. The server command parses
 * the flags with its own parser and hands the raw string values here.
 */
import { hostname } from 'node:os';
import type { Logger } from '../platform/logger.js';
import { memberIsLearner } from './member-snapshot.js';
import { startSnapshotScheduler, type SnapshotScheduler } from './scheduler.js';
import {
  defaultSnapshotDir, parseGoDurationMs, S3_ENDPOINT_DEFAULT, S3_REGION_DEFAULT, SCHEDULED_NAME_DEFAULT,
  SNAPSHOT_CRON_DEFAULT, SNAPSHOT_RETENTION_DEFAULT, type MemberTls, type S3Options, type SchedulerOptions,
} from './options.js';

/** One server flag (structurally the same as src/embed/flag-spec.ts FlagSpec minus `effect`). */
export interface HaFlag {
  name: string;
  kind: 'string' | 'bool' | 'int' | 'duration';
  default: string;
  help: string;
}

/** The snapshot flags `tetcd server` accepts, with K3s's names and defaults. */
export const K3S_SNAPSHOT_SERVER_FLAGS: readonly HaFlag[] = [
  { name: 'etcd-disable-snapshots', kind: 'bool', default: 'false', help: 'Disable automatic etcd snapshots.' },
  { name: 'etcd-snapshot-schedule-cron', kind: 'string', default: SNAPSHOT_CRON_DEFAULT,
    help: 'Snapshot interval time in cron spec, e.g. every 5 hours \'0 */5 * * *\'.' },
  { name: 'etcd-snapshot-retention', kind: 'int', default: String(SNAPSHOT_RETENTION_DEFAULT),
    help: 'Number of snapshots to retain.' },
  { name: 'etcd-snapshot-dir', kind: 'string', default: '',
    help: 'Directory to save db snapshots (default: ${data-dir}/server/db/snapshots).' },
  { name: 'etcd-snapshot-name', kind: 'string', default: SCHEDULED_NAME_DEFAULT, help: 'Base name of etcd snapshots.' },
  { name: 'etcd-snapshot-compress', kind: 'bool', default: 'false', help: 'Compress etcd snapshots (zip).' },
  { name: 'etcd-s3', kind: 'bool', default: 'false', help: 'Enable backup to S3.' },
  { name: 'etcd-s3-endpoint', kind: 'string', default: S3_ENDPOINT_DEFAULT, help: 'S3 endpoint url.' },
  { name: 'etcd-s3-endpoint-ca', kind: 'string', default: '', help: 'S3 custom CA cert to connect to S3 endpoint.' },
  { name: 'etcd-s3-skip-ssl-verify', kind: 'bool', default: 'false', help: 'Disables S3 SSL certificate validation.' },
  { name: 'etcd-s3-access-key', kind: 'string', default: '', help: 'S3 access key (or AWS_ACCESS_KEY_ID).' },
  { name: 'etcd-s3-secret-key', kind: 'string', default: '', help: 'S3 secret key (or AWS_SECRET_ACCESS_KEY).' },
  { name: 'etcd-s3-bucket', kind: 'string', default: '', help: 'S3 bucket name.' },
  { name: 'etcd-s3-region', kind: 'string', default: S3_REGION_DEFAULT, help: 'S3 region / bucket location.' },
  { name: 'etcd-s3-folder', kind: 'string', default: '', help: 'S3 folder.' },
  { name: 'etcd-s3-insecure', kind: 'bool', default: 'false', help: 'Disables S3 over HTTPS.' },
  { name: 'etcd-s3-timeout', kind: 'duration', default: '5m0s', help: 'S3 timeout.' },
];

/** What the server knows that flags do not say. */
export interface ServerSnapshotContext {
  dataDir: string;
  /** Member name (K3s uses the node name). Defaults to the host name. */
  nodeName?: string;
  /** This member's client endpoint, reachable from the process itself. */
  endpoint: string;
  tls?: MemberTls;
}

function flagValue(values: ReadonlyMap<string, string>, name: string): string {
  const value = values.get(name);
  if (value !== undefined) return value;
  return K3S_SNAPSHOT_SERVER_FLAGS.find((f) => f.name === name)?.default ?? '';
}

/**
 * Builds scheduler options from raw flag values (missing ⇒ default).
 * @throws RangeError on a bad retention, timeout, or `--etcd-s3` without `--etcd-s3-bucket`.
 */
export function schedulerOptionsFromFlags(values: ReadonlyMap<string, string>,
  context: ServerSnapshotContext): SchedulerOptions {
  const get = (name: string): string => flagValue(values, name);
  const retentionText = get('etcd-snapshot-retention');
  if (!/^\d+$/.test(retentionText)) throw new RangeError(`invalid --etcd-snapshot-retention ${retentionText}`);
  const dir = get('etcd-snapshot-dir');
  const options: SchedulerOptions = {
    endpoint: context.endpoint,
    ...(context.tls !== undefined ? { tls: context.tls } : {}),
    dir: dir !== '' ? dir : defaultSnapshotDir(context.dataDir),
    name: get('etcd-snapshot-name'),
    nodeName: context.nodeName ?? hostname(),
    compress: get('etcd-snapshot-compress') === 'true',
    retention: Number(retentionText),
    cron: get('etcd-snapshot-schedule-cron'),
    disabled: get('etcd-disable-snapshots') === 'true',
  };
  if (get('etcd-s3') === 'true') options.s3 = s3OptionsFromFlagValues(values);
  return options;
}

/**
 * S3 options from raw `--etcd-s3-*` values (missing ⇒ default), whether or not `--etcd-s3` is set.
 * @throws RangeError on a missing bucket (K3s's `s3 bucket name was not set`) or a bad timeout.
 */
export function s3OptionsFromFlagValues(values: ReadonlyMap<string, string>): S3Options {
  const get = (name: string): string => flagValue(values, name);
  const bucket = get('etcd-s3-bucket');
  if (bucket === '') throw new RangeError('s3 bucket name was not set');
  const optional = (name: string): string | undefined => (get(name) === '' ? undefined : get(name));
  const endpointCaPath = optional('etcd-s3-endpoint-ca');
  const accessKey = optional('etcd-s3-access-key');
  const secretKey = optional('etcd-s3-secret-key');
  return {
    endpoint: get('etcd-s3-endpoint'),
    ...(endpointCaPath !== undefined ? { endpointCaPath } : {}),
    ...(accessKey !== undefined ? { accessKey } : {}),
    ...(secretKey !== undefined ? { secretKey } : {}),
    skipSslVerify: get('etcd-s3-skip-ssl-verify') === 'true',
    bucket,
    region: get('etcd-s3-region'),
    folder: get('etcd-s3-folder'),
    insecure: get('etcd-s3-insecure') === 'true',
    timeoutMs: parseGoDurationMs(get('etcd-s3-timeout')),
  };
}

/**
 * What `tetcd server` calls once the member serves clients: scheduled snapshots from raw flag values,
 * skipped while this member is a learner (as K3s). Stop the result on shutdown.
 * @throws RangeError on bad flag values or an invalid cron pattern.
 */
export function startServerSnapshots(values: ReadonlyMap<string, string>, context: ServerSnapshotContext,
  logger: Logger): SnapshotScheduler {
  const options = schedulerOptionsFromFlags(values, context);
  return startSnapshotScheduler(options, logger, {
    shouldRun: async () => !(await memberIsLearner(options.endpoint, options.tls)),
  });
}
