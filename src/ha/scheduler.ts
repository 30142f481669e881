/**
 * Scheduled snapshots (K3s `--etcd-snapshot-schedule-cron`): each tick takes a snapshot, uploads it to S3
 * when configured and applies `--etcd-snapshot-retention`. Ticks never overlap; a failed tick is logged
 * and the schedule continues. The cron engine is injectable so tests drive ticks without wall time.
 */
import { Cron } from 'croner';
import type { Logger } from '../platform/logger.js';
import type { SchedulerOptions } from './options.js';
import { takeSnapshot, type SnapshotResult } from './snapshot-service.js';

/** A running cron: `stop()` prevents further ticks. */
export interface CronHandle {
  stop(): void;
}

/** Starts calling `tick` on `pattern`. Throws RangeError on an invalid pattern. */
export type ScheduleFn = (pattern: string, tick: () => Promise<void>) => CronHandle;

/** Hooks for the server and tests. */
export interface SchedulerHooks {
  /** Cron engine (default: croner, no overlapping runs). */
  schedule?: ScheduleFn;
  /** Consulted before each tick; false skips it (e.g. this member is a learner, as K3s skips). */
  shouldRun?: () => Promise<boolean>;
  /** Called after each tick with its result or error. */
  onResult?: (outcome: { result?: SnapshotResult; error?: Error }) => void;
}

/** The running scheduler. */
export interface SnapshotScheduler {
  /** Stops the schedule and waits for a tick in progress. Never throws. */
  stop(): Promise<void>;
}

/** croner with protection against overlapping runs. Throws RangeError on an invalid pattern. */
export const cronerSchedule: ScheduleFn = (pattern, tick) => {
  try {
    const job = new Cron(pattern, { protect: true, catch: true }, tick);
    return { stop: () => job.stop() };
  } catch (error) {
    throw new RangeError(`invalid snapshot cron schedule ${JSON.stringify(pattern)}: ${(error as Error).message}`);
  }
};

async function runTick(options: SchedulerOptions, logger: Logger, hooks: SchedulerHooks): Promise<void> {
  if (hooks.shouldRun !== undefined && !(await hooks.shouldRun())) {
    logger.debug({ name: options.name }, 'skipping scheduled etcd snapshot');
    return;
  }
  try {
    const result = await takeSnapshot(options);
    logger.info({ location: result.local.location, size: result.local.sizeBytes, pruned: result.pruned },
      'saved scheduled etcd snapshot');
    if (result.s3 !== undefined) logger.info({ location: result.s3.location }, 'uploaded etcd snapshot to S3');
    if (result.s3Error !== undefined) logger.error({ error: result.s3Error }, 'failed to upload etcd snapshot to S3');
    hooks.onResult?.({ result });
  } catch (error) {
    logger.error({ error: (error as Error).message }, 'failed to save scheduled etcd snapshot');
    hooks.onResult?.({ error: error as Error });
  }
}

/**
 * Starts scheduled snapshots. With `options.disabled` nothing runs.
 * @throws RangeError on an invalid cron pattern or negative retention.
 */
export function startSnapshotScheduler(options: SchedulerOptions, logger: Logger,
  hooks: SchedulerHooks = {}): SnapshotScheduler {
  if (!Number.isSafeInteger(options.retention) || options.retention < 0) {
    throw new RangeError(`invalid snapshot retention ${options.retention}`);
  }
  if (options.disabled === true) return { stop: () => Promise.resolve() };
  let running: Promise<void> | undefined;
  let stopped = false;
  const tick = async (): Promise<void> => {
    if (stopped || running !== undefined) return;
    running = runTick(options, logger, hooks).finally(() => { running = undefined; });
    await running;
  };
  const handle = (hooks.schedule ?? cronerSchedule)(options.cron, tick);
  logger.info({ cron: options.cron, dir: options.dir, retention: options.retention, s3: options.s3 !== undefined },
    'started etcd snapshot schedule');
  return {
    stop: async () => {
      stopped = true;
      handle.stop();
      await running;
    },
  };
}
