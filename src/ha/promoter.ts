/**
 * Automatic learner promotion (K3s's loop): every interval, on the leader only, try MemberPromote on each
 * learner. The server refuses a learner that has not caught up (ERR_LEARNER_NOT_READY); it is retried on
 * the next round. Works for learners added by any means (join, etcdctl member add --learner).
 * As K3s does, a learner this leader has seen unpromotable for `stallTimeoutMs` (5 minutes) is removed:
 * etcd admits one learner at a time, so a joiner that died half-way would otherwise block every later join.
 */
import type { Logger } from '../platform/logger.js';

/** Default --learner-promote-interval (K3s: 15 s). */
export const LEARNER_PROMOTE_INTERVAL_MS_DEFAULT = 15_000;
/** How long a learner may stay unpromotable before it is removed (K3s: 5 minutes). */
export const LEARNER_STALL_TIMEOUT_MS_DEFAULT = 5 * 60_000;

/** What the promoter needs from the local member. */
export interface PromoterTarget {
  isLeader(): boolean;
  learners(): Array<{ id: bigint; name: string }>;
  /** Promotes one learner; rejects with the server's error (not ready, not leader, ...). */
  promote(id: bigint): Promise<void>;
  /** Removes a stalled learner (MemberRemove). */
  remove(id: bigint): Promise<void>;
  /** Monotonic milliseconds (injectable for tests). */
  nowMs(): number;
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
export function startLearnerPromoter(target: PromoterTarget, intervalMs: number, logger: Logger,
  stallTimeoutMs = LEARNER_STALL_TIMEOUT_MS_DEFAULT): LearnerPromoter {
  if (!(Number.isFinite(intervalMs) && intervalMs > 0)) throw new RangeError(`learner promote interval must be positive, got ${intervalMs}`);
  let running: Promise<bigint[]> | undefined;
  let stopped = false;
  /** Learner id → when this leader first failed to promote it (forgotten when leadership is lost). */
  const stalledSince = new Map<bigint, number>();
  const tryPromote = async (learner: { id: bigint; name: string }): Promise<boolean> => {
    const fields = { 'member-id': learner.id.toString(16), name: learner.name };
    try {
      await target.promote(learner.id);
      stalledSince.delete(learner.id);
      logger.info(fields, 'promoted learner member to voter');
      return true;
    } catch (error) {
      const level = codeOf(error) === 'ERR_LEARNER_NOT_READY' ? 'debug' : 'warn';
      logger[level]({ ...fields, error: (error as Error).message }, 'learner not promoted yet; will retry');
    }
    const since = stalledSince.get(learner.id) ?? target.nowMs();
    stalledSince.set(learner.id, since);
    if (target.nowMs() - since >= stallTimeoutMs) {
      logger.warn({ ...fields, 'stalled-ms': target.nowMs() - since }, 'removing learner that did not catch up');
      await target.remove(learner.id).then(() => stalledSince.delete(learner.id), (error: unknown) => {
        logger.warn({ ...fields, error: (error as Error).message }, 'failed to remove stalled learner');
      });
    }
    return false;
  };
  const round = async (): Promise<bigint[]> => {
    const promoted: bigint[] = [];
    if (stopped) return promoted;
    if (!target.isLeader()) {
      stalledSince.clear();
      return promoted;
    }
    const learners = target.learners();
    for (const id of stalledSince.keys()) if (!learners.some((l) => l.id === id)) stalledSince.delete(id);
    for (const learner of learners) if (await tryPromote(learner)) promoted.push(learner.id);
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
