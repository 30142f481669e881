/**
 * `--force-new-cluster` (etcd semantics), also usable offline (the base of a K3s-style `--cluster-reset`):
 * turns an existing member's data dir into a one-member cluster without losing data. As etcd's
 * restartAsStandaloneNode does, it drops the uncommitted tail of the log, appends configuration-change
 * entries after the commit index that remove every other member (leaving a joint configuration first and
 * promoting this member if it is a learner), and marks them committed. When the server starts on the data
 * dir it applies them like any committed entry: raft's configuration shrinks to this member, which then
 * elects itself; the membership records the others as removed, so their old data dirs are refused (and
 * stop) if they contact it. Member and cluster ids are kept (as etcd keeps them).
 */
import { assert } from '../base/assert.js';
import { formatIdHex } from '../base/ids.js';
import { Backend } from '../backend/backend.js';
import { META_CONSISTENT_INDEX, readUint64 } from '../mvcc/meta.js';
import { encodeConfChangeV2, decodeConfChangeV2 } from '../raft/conf-change-codec.js';
import {
  applyConfChangeV2, ConfChangeError, restoreFromConfState, type ConfChangeResult,
} from '../raft/confchange.js';
import { configToConfState, isJoint } from '../raft/tracker.js';
import {
  ConfChangeTransition, ConfChangeType, EntryType, type ConfChangeV2, type ConfState, type Entry,
} from '../raft/types.js';
import { Wal } from '../wal/wal.js';
import { BootstrapError, memberPaths } from './bootstrap.js';
import { Membership } from './membership/membership.js';
import { loadNewestSnapMetadata } from './snap-store.js';

export interface ForceNewClusterOptions {
  /** --wal-dir ('' or absent: `<data-dir>/member/wal`). */
  walDir?: string;
  unsafeNoFsync?: boolean;
}

export interface ForceNewClusterResult {
  memberId: bigint;
  clusterId: bigint;
  /** Members taken out of the configuration (voters and learners other than this member). */
  removedIds: bigint[];
  /** Conf-change entries appended (0 if the configuration already was this member alone). */
  appendedEntries: number;
  /** The commit index after the change (the index of the last appended entry). */
  commitIndex: number;
  /** Entries after the old commit index that were discarded (never committed). */
  discardedEntries: number;
}

/** Progress inflight limit used only to compute configurations here (no replication happens). */
const INFLIGHT_UNUSED = 1;

/**
 * Rewrites the data dir's raft log so that it describes a one-member cluster made of its own member
 * (see the file comment). Idempotent: on a data dir that already is a one-member cluster it appends
 * nothing. The server must not be running on `dataDir`.
 * @throws BootstrapError if the data dir has no WAL, its member was removed or is not in the
 *   configuration, or its backend applied entries its log does not hold (start it normally once first);
 *   CorruptionError on a corrupt WAL; Error on I/O errors.
 */
export async function forceNewCluster(dataDir: string, options: ForceNewClusterOptions = {}):
Promise<ForceNewClusterResult> {
  const paths = memberPaths(dataDir, options.walDir ?? '');
  if (!await Wal.exists(paths.walDir)) {
    throw new BootstrapError(`--force-new-cluster: no WAL in ${paths.walDir}: it needs an existing member's data dir`);
  }
  const snap = await loadNewestSnapMetadata(paths.snapDir) ?? { index: 0, term: 0, confState: EMPTY_CONF_STATE };
  const { wal, read } = await Wal.open(paths.walDir, { index: snap.index, term: snap.term, confState: snap.confState },
    { unsafeNoFsync: options.unsafeNoFsync === true });
  try {
    const metadata = JSON.parse(new TextDecoder().decode(read.metadata)) as { memberId: string; clusterId: string };
    const memberId = BigInt(`0x${metadata.memberId}`);
    const clusterId = BigInt(`0x${metadata.clusterId}`);
    const backendState = await readBackendState(paths.dbPath, memberId);
    if (backendState.selfRemoved) {
      throw new BootstrapError(`member ${formatIdHex(memberId)} has already been removed from the cluster`);
    }
    const term = Math.max(read.hardState.term, snap.term);
    // An entry the backend applied was committed, even if the HardState recording that was lost in a crash.
    const lastIndex = Math.max(snap.index, read.entries.at(-1)?.index ?? 0);
    if (backendState.consistentIndex > lastIndex) {
      throw new BootstrapError(`--force-new-cluster: the backend (applied index ${backendState.consistentIndex}) is ` +
        `ahead of the log (last index ${lastIndex}): start the member normally once, then retry`);
    }
    const commit = Math.max(read.hardState.commit, snap.index, backendState.consistentIndex);
    const committed = read.entries.filter((e) => e.index <= commit);
    const discardedEntries = read.entries.length - committed.length;
    const current = configAt(snap.confState, committed, commit);
    const { changes, removedIds } = standaloneChanges(current, memberId, commit);
    const entries: Entry[] = changes.map((change, i) => ({
      index: commit + 1 + i, term, type: EntryType.ConfChangeV2, data: encodeConfChangeV2(change),
    }));
    const commitIndex = commit + entries.length;
    if (entries.length > 0) await wal.save({ term, vote: read.hardState.vote, commit: commitIndex }, entries, true);
    return { memberId, clusterId, removedIds, appendedEntries: entries.length, commitIndex, discardedEntries };
  } finally {
    await wal.close();
  }
}

const EMPTY_CONF_STATE: ConfState = { voters: [], learners: [], votersOutgoing: [], learnersNext: [],
  autoLeave: false };

async function readBackendState(dbPath: string, memberId: bigint):
Promise<{ consistentIndex: number; selfRemoved: boolean }> {
  const backend = await Backend.open(dbPath);
  try {
    return {
      consistentIndex: readUint64(backend, META_CONSISTENT_INDEX),
      selfRemoved: new Membership(backend).isRemoved(memberId),
    };
  } finally {
    await backend.close();
  }
}

/** The configuration after applying the committed conf changes in `entries` to the snapshot's. */
function configAt(snapshotConf: ConfState, entries: Entry[], lastIndex: number): ConfChangeResult {
  let result = restoreFromConfState(snapshotConf, lastIndex, INFLIGHT_UNUSED);
  for (const entry of entries) {
    if (entry.type !== EntryType.ConfChangeV2) continue;
    try {
      result = applyConfChangeV2(changerInput(result, lastIndex), decodeConfChangeV2(entry.data));
    } catch (error) {
      // Raft ignores an invalid change on every member alike; so does this replay.
      if (!(error instanceof ConfChangeError)) throw error;
    }
  }
  return result;
}

function changerInput(result: ConfChangeResult, lastIndex: number): Parameters<typeof applyConfChangeV2>[0] {
  return { config: result.config, progress: result.progress, lastIndex, maxInflight: INFLIGHT_UNUSED };
}

/**
 * The changes that turn `current` into a configuration of `self` alone, one simple change per entry (a
 * joint change would need the old quorum to leave it). Each is checked by applying it.
 */
function standaloneChanges(current: ConfChangeResult, self: bigint, lastIndex: number):
{ changes: ConfChangeV2[]; removedIds: bigint[] } {
  const changes: ConfChangeV2[] = [];
  let config = current;
  const add = (change: ConfChangeV2): void => {
    config = applyConfChangeV2(changerInput(config, lastIndex), change);
    changes.push(change);
  };
  const single = (type: ConfChangeType, nodeId: bigint): ConfChangeV2 => ({
    transition: ConfChangeTransition.Auto, changes: [{ type, nodeId }], context: new Uint8Array(0),
  });
  if (isJoint(config.config)) add({ transition: ConfChangeTransition.Auto, changes: [], context: new Uint8Array(0) });
  const cs = configToConfState(config.config);
  if (cs.learners.includes(self)) add(single(ConfChangeType.AddNode, self));
  else if (!cs.voters.includes(self)) {
    throw new BootstrapError(`--force-new-cluster: member ${formatIdHex(self)} is not in the cluster configuration`);
  }
  const sortIds = (ids: bigint[]): bigint[] => [...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const others = [...sortIds(cs.learners), ...sortIds(cs.voters)].filter((id) => id !== self);
  for (const id of others) add(single(ConfChangeType.RemoveNode, id));
  const final = configToConfState(config.config);
  assert(final.voters.length === 1 && final.voters[0] === self && final.learners.length === 0,
    'force-new-cluster leaves exactly this member');
  return { changes, removedIds: others };
}
