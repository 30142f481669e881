/**
 * Opens a member's storage: a brand-new one-voter (or, later, multi-voter) Raft cluster, or a restart
 * from snapshot metadata + WAL + backend. Layout (as etcd's): `<data-dir>/member/wal/*.wal`,
 * `<data-dir>/member/snap/*.snap` (raft snapshot metadata) and `<data-dir>/member/snap/db` (the LMDB
 * backend). The single-member server is the same code path as a cluster: a Raft group with one voter.
 */
import { closeSync, existsSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { lockDataDir, type DataDirLock } from '../platform/data-dir-lock.js';
import { join } from 'node:path';
import { assert } from '../base/assert.js';
import { formatIdHex } from '../base/ids.js';
import { Backend } from '../backend/backend.js';
import { MemoryStorage } from '../raft/memory-storage.js';
import type { ConfState, Entry, HardState } from '../raft/types.js';
import { Wal } from '../wal/wal.js';
import { computeClusterId, computeMemberId } from '../platform/member-ids.js';
import { Membership } from './membership/membership.js';
import { loadNewestSnapMetadata, saveSnapMetadata } from './snap-store.js';
import { decodeMemberJson } from './membership/member-json.js';
import { forceNewCluster, type ForceNewClusterResult } from './force-new-cluster.js';

export class BootstrapError extends Error {
  override readonly name = 'BootstrapError';
  readonly code = 'ERR_BOOTSTRAP';
}

/** An HTTP GET to a peer URL (the transport's; injected so the server does not depend on it). */
export type PeerGet = (url: string, path: string) => Promise<{ status: number; body: string }>;

export interface BootstrapConfig {
  /** Used to fetch the membership when joining an existing cluster. */
  peerGet: PeerGet;
  name: string;
  dataDir: string;
  walDir: string;
  initialCluster: Array<{ name: string; peerUrls: string[] }>;
  initialClusterState: 'new' | 'existing';
  initialClusterToken: string;
  /** --force-new-cluster: on restart, make this member a one-member cluster first (force-new-cluster.ts). */
  forceNewCluster?: boolean;
  unsafeNoFsync: boolean;
  backendBatchIntervalMs: number;
  backendBatchLimit: number;
  onWalFsync?: (durationMs: number) => void;
  onBackendCommit?: (durationMs: number) => void;
}

export interface MemberInfo { id: bigint; name: string; peerUrls: string[]; clientUrls: string[]; isLearner: boolean }

export interface Bootstrapped {
  memberId: bigint;
  clusterId: bigint;
  membership: Membership;
  wal: Wal;
  backend: Backend;
  storage: MemoryStorage;
  confState: ConfState;
  snapshotIndex: number;
  snapshotTerm: number;
  hardState: HardState;
  isNew: boolean;
  snapDir: string;
  walDir: string;
  repairedTornTail: boolean;
  /** This process's hold on the data dir (released when the member stops). */
  dataDirLock: DataDirLock;
  /** Set when --force-new-cluster rewrote the log of an existing data dir on this start. */
  forcedNewCluster?: ForceNewClusterResult;
}

/** What bootstrapping produces before the data dir lock is attached. */
type Unlocked = Omit<Bootstrapped, 'dataDirLock'>;

interface WalMetadata { memberId: string; clusterId: string }

export function memberPaths(dataDir: string,
  walDir: string): { memberDir: string; walDir: string; snapDir: string; dbPath: string } {
  const memberDir = join(dataDir, 'member');
  const snapDir = join(memberDir, 'snap');
  return { memberDir, walDir: walDir !== '' ? walDir : join(memberDir, 'wal'), snapDir, dbPath: join(snapDir, 'db') };
}

export async function bootstrap(config: BootstrapConfig): Promise<Bootstrapped> {
  checkDataDir(config.dataDir);
  const paths = memberPaths(config.dataDir, config.walDir);
  checkNotEtcdBackend(paths.dbPath);
  await mkdir(paths.snapDir, { recursive: true });
  const dataDirLock = lockDataDir(config.dataDir, paths.memberDir);
  try {
    return { ...await bootstrapLocked(config, paths), dataDirLock };
  } catch (error) {
    dataDirLock.release();
    throw error;
  }
}

async function bootstrapLocked(config: BootstrapConfig, paths: ReturnType<typeof memberPaths>):
Promise<Unlocked> {
  // etcd ignores --force-new-cluster on a data dir without a WAL (a brand-new member).
  const forced = config.forceNewCluster === true && await Wal.exists(paths.walDir)
    ? await forceNewCluster(config.dataDir, { walDir: config.walDir, unsafeNoFsync: config.unsafeNoFsync })
    : undefined;
  const walOptions = { unsafeNoFsync: config.unsafeNoFsync,
    ...(config.onWalFsync ? { onFsync: config.onWalFsync } : {}) };
  const backend = await Backend.open(paths.dbPath, {
    batchIntervalMs: config.backendBatchIntervalMs, batchLimit: config.backendBatchLimit,
    ...(config.onBackendCommit ? { onCommit: config.onBackendCommit } : {}),
  });
  try {
    if (await Wal.exists(paths.walDir)) {
      const restarted = await restart(config, paths, backend, walOptions);
      return forced === undefined ? restarted : { ...restarted, forcedNewCluster: forced };
    }
    return await createNew(config, paths, backend, walOptions);
  } catch (error) {
    await backend.close().catch(() => undefined);
    throw error;
  }
}

async function createNew(config: BootstrapConfig, paths: ReturnType<typeof memberPaths>, backend: Backend,
  walOptions: { unsafeNoFsync: boolean }): Promise<Unlocked> {
  if (config.initialClusterState === 'existing') return joinExisting(config, paths, backend, walOptions);
  const members: MemberInfo[] = config.initialCluster.map((m) => ({
    id: computeMemberId(m.peerUrls, config.initialClusterToken), name: m.name, peerUrls: m.peerUrls,
    clientUrls: [], isLearner: false,
  }));
  const self = members.find((m) => m.name === config.name);
  assert(self !== undefined, 'local member missing from initial cluster (validated by config)');
  const clusterId = computeClusterId(members.map((m) => m.id));
  const confState: ConfState = { voters: members.map((m) => m.id), learners: [], votersOutgoing: [],
    learnersNext: [], autoLeave: false };
  const metadata: WalMetadata = { memberId: formatIdHex(self.id), clusterId: formatIdHex(clusterId) };
  const membership = new Membership(backend);
  for (const member of members) membership.save(member);
  await backend.forceCommit();
  // The initial membership is raft snapshot 1 at term 1 on every member, so all start identical.
  await saveSnapMetadata(paths.snapDir, { index: 1, term: 1, confState }, config.unsafeNoFsync);
  const wal = await Wal.create(paths.walDir, new TextEncoder().encode(JSON.stringify(metadata)), walOptions);
  const hardState: HardState = { term: 1, vote: 0n, commit: 1 };
  await wal.saveSnapshot({ index: 1, term: 1, confState });
  await wal.save(hardState, [], true);
  const storage = new MemoryStorage();
  storage.applySnapshot({ data: new Uint8Array(0), metadata: { index: 1, term: 1, confState } });
  storage.setHardState(hardState);
  return { memberId: self.id, clusterId, membership, wal, backend, storage, confState, snapshotIndex: 1,
    snapshotTerm: 1,
    hardState, isNew: true, snapDir: paths.snapDir, walDir: paths.walDir, repairedTornTail: false };
}

async function restart(config: BootstrapConfig, paths: ReturnType<typeof memberPaths>, backend: Backend,
  walOptions: { unsafeNoFsync: boolean }): Promise<Unlocked> {
  // A member that joined an existing cluster has no snapshot file until the leader sent it one.
  const snap = await loadNewestSnapMetadata(paths.snapDir) ?? { index: 0, term: 0, confState: EMPTY_CONF_STATE };
  const { wal, read } = await Wal.open(paths.walDir, { index: snap.index, term: snap.term,
    confState: snap.confState }, walOptions);
  const metadata = JSON.parse(new TextDecoder().decode(read.metadata)) as WalMetadata;
  const membership = new Membership(backend);
  const storage = new MemoryStorage();
  // A member that joined and has not received a snapshot yet has none: its storage starts empty.
  if (snap.index > 0) {
    storage.applySnapshot({ data: new Uint8Array(0), metadata: { index: snap.index, term: snap.term,
      confState: snap.confState } });
  }
  // A crash between installing a received snapshot and recording it in the WAL leaves a HardState
  // older than the snapshot: the backend already holds everything up to the snapshot, so catch up.
  const hardState: HardState = { ...read.hardState, term: Math.max(read.hardState.term, snap.term),
    commit: Math.max(read.hardState.commit, snap.index) };
  storage.setHardState(hardState);
  const entries: Entry[] = read.entries.filter((e) => e.index > snap.index);
  if (entries.length > 0) storage.append(entries);
  return {
    memberId: BigInt(`0x${metadata.memberId}`), clusterId: BigInt(`0x${metadata.clusterId}`), membership, wal, backend,
    storage, confState: snap.confState, snapshotIndex: snap.index, snapshotTerm: snap.term, hardState,
    isNew: false, snapDir: paths.snapDir, walDir: paths.walDir, repairedTornTail: read.repairedTornTail,
  };
}

const EMPTY_CONF_STATE: ConfState = { voters: [], learners: [], votersOutgoing: [], learnersNext: [],
  autoLeave: false };

/**
 * Joins a running cluster (etcd's --initial-cluster-state=existing): asks the other members listed in
 * --initial-cluster for the membership, finds this member (added beforehand with `member add`) by its
 * peer URLs, and starts with an empty log; the leader then sends a snapshot and the log.
 */
async function joinExisting(config: BootstrapConfig, paths: ReturnType<typeof memberPaths>, backend: Backend,
  walOptions: { unsafeNoFsync: boolean }): Promise<Unlocked> {
  const self = config.initialCluster.find((m) => m.name === config.name);
  assert(self !== undefined, 'local member missing from initial cluster (validated by config)');
  const others = config.initialCluster.filter((m) => m.name !== config.name).flatMap((m) => m.peerUrls);
  const remote = await fetchMembership(config.peerGet, others);
  const mine = remote.members.find((m) => sameUrls(m.peerUrls, self.peerUrls));
  if (mine === undefined) {
    throw new BootstrapError(`member with peer URLs ${self.peerUrls.join(',')} is not part of cluster ` +
      `${formatIdHex(remote.clusterId)}: add it first with \`etcdctl member add ${config.name} --peer-urls=${self.peerUrls.join(',')}\``);
  }
  const membership = new Membership(backend);
  for (const member of remote.members) membership.save(member);
  await backend.forceCommit();
  const metadata: WalMetadata = { memberId: formatIdHex(mine.id), clusterId: formatIdHex(remote.clusterId) };
  const wal = await Wal.create(paths.walDir, new TextEncoder().encode(JSON.stringify(metadata)), walOptions);
  const hardState: HardState = { term: 0, vote: 0n, commit: 0 };
  return { memberId: mine.id, clusterId: remote.clusterId, membership, wal, backend, storage: new MemoryStorage(),
    confState: EMPTY_CONF_STATE, snapshotIndex: 0, snapshotTerm: 0, hardState, isNew: true, snapDir: paths.snapDir,
    walDir: paths.walDir, repairedTornTail: false };
}

async function fetchMembership(peerGet: PeerGet, peerUrls: string[]):
  Promise<{ clusterId: bigint; members: MemberInfo[] }> {
  const failures: string[] = [];
  for (const url of peerUrls) {
    try {
      const response = await peerGet(url, '/members');
      if (response.status !== 200) throw new Error(`status ${response.status}`);
      const text = response.body;
      const clusterId = BigInt(`0x${/"clusterId":"([0-9a-f]+)"/.exec(text)![1]}`);
      const list = text.slice(text.indexOf('"members":[') + 11, text.lastIndexOf(']'));
      const members = list === '' ? [] : splitJsonObjects(list).map(decodeMemberJson);
      return { clusterId, members };
    } catch (error) {
      failures.push(`${url}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  throw new BootstrapError(`cannot fetch the cluster membership from any peer (${failures.join('; ')})`);
}

function splitJsonObjects(list: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  let inString = false;
  for (let i = 0; i < list.length; i++) {
    const c = list[i];
    if (inString) { if (c === '\\') i++; else if (c === '"') inString = false; continue; }
    if (c === '"') inString = true;
    else if (c === '{') { if (depth++ === 0) start = i; }
    else if (c === '}' && --depth === 0) out.push(list.slice(start, i + 1));
  }
  return out;
}

function sameUrls(a: string[], b: string[]): boolean {
  const norm = (urls: string[]): string => urls.map((u) => u.replace(/\/$/, '')).sort().join(',');
  return norm(a) === norm(b);
}

function checkDataDir(dataDir: string): void {
  if (!existsSync(dataDir)) return;
  if (!statSync(dataDir).isDirectory()) throw new BootstrapError(`--data-dir ${dataDir} exists and is not a directory`);
  const member = join(dataDir, 'member');
  if (existsSync(member) && !statSync(member).isDirectory()) {
    throw new BootstrapError(`${member} exists and is not a directory: ${dataDir} is not a tetcd data dir`);
  }
  if (existsSync(member) && readdirSync(member).length > 0 && !existsSync(join(member, 'snap'))) {
    throw new BootstrapError(`${dataDir} does not look like a tetcd data dir (no member/snap): refusing to use it`);
  }
}

/** bbolt files carry the magic 0xED0CDAED in their meta page; tetcd's backend is LMDB. */
function checkNotEtcdBackend(dbPath: string): void {
  if (!existsSync(dbPath) || statSync(dbPath).size < 32) return;
  const header = Buffer.alloc(32);
  const fd = openSync(dbPath, 'r');
  try {
    readSync(fd, header);
  } finally {
    closeSync(fd);
  }
  if (header.readUInt32LE(16) === 0xed0cdaed) {
    throw new BootstrapError(`${dbPath} is an etcd (bbolt) database, not a tetcd one: use \`tetcdutl snapshot restore\` ` +
      'to migrate an etcd snapshot into a new tetcd data dir');
  }
}
