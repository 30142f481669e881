/**
 * Swarm-testing options: every knob of a simulation run is derived from its seed, so one number
 * replays a whole run and different seeds explore different fault mixes (some seeds turn a fault off
 * entirely, which finds bugs that a uniform mix of every fault hides).
 */
import { assert } from '../base/assert.js';
import { SeededRandom } from '../base/random.js';

/** Run length profiles. `fast` is what the unit tests sweep; `full` is the CLI default. */
export type SimProfile = 'fast' | 'full';

export interface SimOptions {
  seed: number;
  profile: SimProfile;
  clusterSize: number;
  /** Node ids that may be added by conf changes beyond the initial cluster. */
  spareNodeCount: number;
  electionTick: number;
  heartbeatTick: number;
  /** Ticks of the fault phase; then faults stop and the liveness phase starts. */
  safetyTicks: number;
  /** Liveness bound: after healing, a leader must exist and a probe must commit within this many ticks. */
  livenessTicksMax: number;
  // Network.
  dropRate: number;
  duplicateRate: number;
  /** Probability that a message gets an extra long delay (reordering it behind later messages). */
  reorderRate: number;
  delayTicksMax: number;
  reorderDelayTicksMax: number;
  /** Per-tick probability that a partition starts (when none is active). */
  partitionRate: number;
  /** Fraction of partitions that are one-way (a -> b blocked, b -> a open). */
  oneWayPartitionRate: number;
  partitionTicksMax: number;
  // Crashes and disk.
  /** Per-tick probability that some live node crashes. */
  crashRate: number;
  /**
   * Per-tick probability that the current leader crashes. Killing fresh leaders leaves entries of old
   * terms on minorities, which is what the Raft paper's Figure 8 needs (the canary depends on it).
   */
  leaderCrashRate: number;
  /** Per-tick probability that a leader with uncommitted entries is isolated (they stay on a minority). */
  leaderIsolateRate: number;
  /**
   * Per-tick probability that a leader in the Figure-8 window (it has not committed an entry of its own
   * term yet but holds entries of older terms) is crashed or isolated: the moment at which committing
   * old entries by counting replicas is unsafe. These two knobs make the canary's bug observable.
   */
  figure8Rate: number;
  isolationTicksMax: number;
  /** Run the scripted Figure-8 nemesis (figure8.ts) instead of random faults (3-node clusters only). */
  figure8Script: boolean;
  downTicksMax: number;
  /** On a crash, probability that a random prefix of the unsynced writes survives (LazyFS-style). */
  tornTailRate: number;
  /** Probability that one Ready's fsync is slow. */
  slowDiskRate: number;
  fsyncTicksMax: number;
  /** Per node: how many raft ticks it performs per simulated tick (clock skew). */
  tickRates: number[];
  // Workload.
  clientCount: number;
  keyCount: number;
  /** Per idle client per tick: probability it issues an operation. */
  proposalRate: number;
  readRatio: number;
  casRatio: number;
  clientTimeoutTicks: number;
  confChangeRate: number;
  transferRate: number;
  /** A node snapshots its state machine once this many entries were applied since its last snapshot. */
  snapshotEntries: number;
  /** Entries kept in the log behind a snapshot (0 forces followers to catch up by snapshot). */
  compactKeepEntries: number;
  // Raft configuration.
  maxSizePerMsgBytes: number;
  maxInflightMsgs: number;
  /** Bytes of committed entries per Ready (0 = unlimited): applies in several pieces when small. */
  maxCommittedSizePerReadyBytes: number;
  /** Bytes of uncommitted entries a leader accepts before dropping proposals (0 = unlimited). */
  maxUncommittedEntriesSizeBytes: number;
  disableProposalForwarding: boolean;
  preVote: boolean;
  checkQuorum: boolean;
  /** Raft's deferCommitBroadcast; the node then broadcasts a held-back commit index at its next tick. */
  deferCommitBroadcast: boolean;
  /** Canary: enable the Figure-8 bug in raft so the checkers must catch it. */
  unsafeCommitPreviousTermByCounting: boolean;
  /**
   * Check the leader commit rule directly (default true). The canary test turns it off to prove that
   * the consequence checkers (state machine safety, leader completeness, linearizability) also catch it.
   */
  checkCommitRule: boolean;
  /**
   * Test-only mutation of the simulated server (not of raft): followers send their messages before the
   * Ready's fsync, breaking the Ready contract. The durability checks must catch it (disk.test / canary).
   */
  unsafeSendBeforeFsync: boolean;
  /**
   * Ticks a node keeps running after applying its own removal before it shuts down (etcd stops a removed
   * member after 1 s, about 10 heartbeats, so a removed leader can still spread the commit and hand off
   * leadership). 0 models a crash right after the removal is applied.
   */
  removedStopDelayTicks: number;
}

/** Upper bound on cluster size and on the ids a run may use. */
export const NODE_COUNT_MAX = 9;

interface ProfileShape {
  safetyTicks: number;
  livenessTicksMax: number;
}

const PROFILES: Record<SimProfile, ProfileShape> = {
  fast: { safetyTicks: 200, livenessTicksMax: 300 },
  full: { safetyTicks: 2000, livenessTicksMax: 400 },
};

/** Share of 3-node runs that run the scripted Figure-8 nemesis. */
export const FIGURE8_SCRIPT_SHARE = 0.25;

/** The scripted nemesis needs a clean network, one-entry appends and no other faults interfering. */
function scriptFigure8(options: SimOptions): void {
  options.figure8Script = true;
  options.spareNodeCount = 0;
  options.dropRate = 0;
  options.duplicateRate = 0;
  options.reorderRate = 0;
  options.partitionRate = 0;
  options.crashRate = 0;
  options.leaderCrashRate = 0;
  options.leaderIsolateRate = 0;
  options.figure8Rate = 0;
  options.confChangeRate = 0;
  options.transferRate = 0;
  options.maxSizePerMsgBytes = 1;
  options.proposalRate = Math.max(options.proposalRate, 0.3);
  options.readRatio = Math.min(options.readRatio, 0.2);
}

/** Either 0 (this fault switched off for the run) or a value in [min, max). */
function maybe(random: SeededRandom, offChance: number, min: number, max: number): number {
  if (random.float() < offChance) return 0;
  return min + random.float() * (max - min);
}

function pick<T>(random: SeededRandom, values: readonly T[]): T {
  assert(values.length > 0, 'pick from empty list');
  return values[random.intBelow(values.length)]!;
}

/**
 * Derives all options of a run from `seed`. `overrides` (e.g. the canary flag) are applied last.
 * Throws AssertionError if the seed is not a non-negative safe integer.
 */
export function deriveOptions(seed: number, profile: SimProfile, overrides: Partial<SimOptions> = {}): SimOptions {
  assert(Number.isSafeInteger(seed) && seed >= 0, `bad seed ${seed}`);
  const random = new SeededRandom(BigInt(seed) * 2654435761n + 17n);
  const shape = PROFILES[profile];
  const clusterSize = pick(random, [3, 3, 3, 5, 5, 7]);
  const spareNodeCount = pick(random, [0, 1, 2]);
  const skewed = random.float() < 0.5;
  const tickRates: number[] = [];
  for (let i = 0; i < clusterSize + spareNodeCount; i++) {
    tickRates.push(skewed ? pick(random, [0.5, 0.8, 1, 1, 1, 1.25, 1.5, 2]) : 1);
  }
  const options: SimOptions = {
    seed, profile, clusterSize, spareNodeCount,
    electionTick: 10, heartbeatTick: pick(random, [1, 1, 2, 3]),
    safetyTicks: shape.safetyTicks, livenessTicksMax: shape.livenessTicksMax,
    dropRate: maybe(random, 0.3, 0, 0.2),
    duplicateRate: maybe(random, 0.5, 0, 0.1),
    reorderRate: maybe(random, 0.4, 0, 0.2),
    delayTicksMax: pick(random, [1, 1, 2, 3, 5]),
    reorderDelayTicksMax: pick(random, [5, 10, 25]),
    partitionRate: maybe(random, 0.3, 0.005, 0.05),
    oneWayPartitionRate: pick(random, [0, 0.3, 0.6]),
    partitionTicksMax: pick(random, [20, 40, 80]),
    crashRate: maybe(random, 0.3, 0.003, 0.03),
    leaderCrashRate: maybe(random, 0.5, 0.01, 0.12),
    leaderIsolateRate: maybe(random, 0.5, 0.02, 0.3),
    figure8Rate: maybe(random, 0.4, 0.2, 0.9),
    isolationTicksMax: pick(random, [5, 15, 30]),
    downTicksMax: pick(random, [5, 10, 20, 60]),
    tornTailRate: pick(random, [0, 0.5, 1]),
    slowDiskRate: maybe(random, 0.4, 0, 0.3),
    fsyncTicksMax: pick(random, [1, 2, 4, 8]),
    tickRates,
    clientCount: 1 + random.intBelow(5),
    keyCount: 1 + random.intBelow(4),
    proposalRate: 0.05 + random.float() * 0.5,
    readRatio: random.float() * 0.5,
    casRatio: random.float() * 0.4,
    clientTimeoutTicks: pick(random, [30, 60, 120]),
    confChangeRate: maybe(random, 0.4, 0.01, 0.06),
    transferRate: maybe(random, 0.5, 0.003, 0.02),
    snapshotEntries: pick(random, [5, 10, 20, 50, 1000]),
    compactKeepEntries: pick(random, [0, 0, 2, 10]),
    maxSizePerMsgBytes: pick(random, [1, 64, 1024, 1024 * 1024]),
    maxInflightMsgs: pick(random, [1, 4, 256]),
    maxCommittedSizePerReadyBytes: pick(random, [0, 0, 1, 256]),
    maxUncommittedEntriesSizeBytes: pick(random, [0, 0, 0, 512]),
    disableProposalForwarding: random.float() < 0.2,
    preVote: random.float() < 0.8,
    checkQuorum: random.float() < 0.8,
    unsafeCommitPreviousTermByCounting: false,
    checkCommitRule: true,
    unsafeSendBeforeFsync: false,
    figure8Script: false,
    removedStopDelayTicks: 0,
    deferCommitBroadcast: false,
  };
  if (clusterSize === 3 && random.float() < FIGURE8_SCRIPT_SHARE) scriptFigure8(options);
  // Drawn last so that adding it did not re-map the other options of existing seeds.
  options.removedStopDelayTicks = pick(random, [0, 0, 10, 30]);
  options.deferCommitBroadcast = random.float() < 0.5;
  return { ...options, ...overrides };
}

/** One-line human description of a run's options (printed under SEED=). */
export function describeOptions(o: SimOptions): string {
  const r = (x: number): string => (Math.round(x * 1000) / 1000).toString();
  return [
    `profile=${o.profile} nodes=${o.clusterSize}+${o.spareNodeCount} ticks=${o.safetyTicks}+${o.livenessTicksMax}`,
    `heartbeat=${o.heartbeatTick} election=${o.electionTick}`,
    `drop=${r(o.dropRate)} dup=${r(o.duplicateRate)} reorder=${r(o.reorderRate)} delay<=${o.delayTicksMax}`,
    `partition=${r(o.partitionRate)} oneway=${r(o.oneWayPartitionRate)} partitionTicks<=${o.partitionTicksMax}`,
    `crash=${r(o.crashRate)} leaderCrash=${r(o.leaderCrashRate)} isolate=${r(o.leaderIsolateRate)} figure8=${r(o.figure8Rate)} isolationTicks<=${o.isolationTicksMax} down<=${o.downTicksMax} torn=${r(o.tornTailRate)}`,
    `slowDisk=${r(o.slowDiskRate)} fsync<=${o.fsyncTicksMax} tickRates=[${o.tickRates.join(',')}]`,
    `clients=${o.clientCount} keys=${o.keyCount} propose=${r(o.proposalRate)} read=${r(o.readRatio)}`,
    `cas=${r(o.casRatio)} timeout=${o.clientTimeoutTicks} confChange=${r(o.confChangeRate)}`,
    `transfer=${r(o.transferRate)} snapshotEvery=${o.snapshotEntries} keep=${o.compactKeepEntries}`,
    `maxMsg=${o.maxSizePerMsgBytes} inflight=${o.maxInflightMsgs} maxCommittedPerReady=${o.maxCommittedSizePerReadyBytes}`,
    `maxUncommitted=${o.maxUncommittedEntriesSizeBytes} noForwarding=${o.disableProposalForwarding}`,
    `preVote=${o.preVote} checkQuorum=${o.checkQuorum} removedStop=${o.removedStopDelayTicks}`,
    `deferCommit=${o.deferCommitBroadcast}`,
    `figure8Script=${o.figure8Script} unsafeFigure8=${o.unsafeCommitPreviousTermByCounting}`,
  ].join(' ');
}
