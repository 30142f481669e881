/**
 * Automatic learner promotion (K3s's loop): every interval, on the leader only, try MemberPromote on each
 * learner. The server refuses a learner that has not caught up (ERR_LEARNER_NOT_READY); it is retried on
 * the next round. Works for learners added by any means (join, etcdctl member add --learner).
 */
import type { Logger } from '../platform/logger.js';

/** Default --learner-promote-interval (K3s: 15 s). */
export const LEARNER_PROMOTE_INTERVAL_MS_DEFAULT = 15_000;

/** What the promoter needs from the local member. */
export interface PromoterTarget {
  isLeader(): boolean;
  learners(): Array<{ id: bigint; name: string }>;
  /** Promotes one learner; rejects with the server's error (not ready, not leader, ...). */
  promote(id: bigint): Promise<void>;
}

export interface LearnerPromoter {
  /** Runs one round now (tests); resolves with the ids promoted. */
  runOnce(): Promise<bigint[]>;
  stop(): Promise<void>;
}

/** The etcd error code of an error, when it has one. */
function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Starts the promotion loop (a timer, unref'd; rounds never overlap).
 * @throws RangeError for a non-positive interval.
 */
export function startLearnerPromoter(target: PromoterTarget, intervalMs: number, logger: Logger): LearnerPromoter {
  if (!(Number.isFinite(intervalMs) && intervalMs > 0)) throw new RangeError(`learner promote interval must be positive, got ${intervalMs}`);
  let running: Promise<bigint[]> | undefined;
  let stopped = false;
  const round = async (): Promise<bigint[]> => {
    const promoted: bigint[] = [];
    if (stopped || !target.isLeader()) return promoted;
    for (const learner of target.learners()) {
      try {
        await target.promote(learner.id);
        promoted.push(learner.id);
        logger.info({ 'member-id': learner.id.toString(16), name: learner.name }, 'promoted learner member to voter');
      } catch (error) {
        const code = codeOf(error);
        const level = code === 'ERR_LEARNER_NOT_READY' ? 'debug' : 'warn';
        logger[level]({ 'member-id': learner.id.toString(16), name: learner.name, error: (error as Error).message },
          'learner not promoted yet; will retry');
      }
    }
    return promoted;
  };
  const runOnce = (): Promise<bigint[]> => {
    running ??= round().finally(() => { running = undefined; });
    return running;
  };
  const timer = setInterval(() => { void runOnce(); }, intervalMs);
  timer.unref();
  return {
    runOnce,
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      await running?.catch(() => undefined);
    },
  };
}
