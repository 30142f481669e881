/**
 * The public data types of the pure Raft core (modelled on etcd-io/raft's raftpb). Everything here is
 * plain data: no I/O, no timers, no clock. Node ids are 64-bit member ids (bigint); index and term are
 * safe-integer numbers.
 */

export type NodeId = bigint;
/** Sentinel "no node" (raft's None). */
export const NONE: NodeId = 0n;

export const enum EntryType {
  Normal = 0,
  ConfChange = 1,
  ConfChangeV2 = 2,
}

export interface Entry {
  term: number;
  index: number;
  type: EntryType;
  /** Application payload (Normal) or an encoded ConfChange / ConfChangeV2 (see conf-change codec). */
  data: Uint8Array;
}

/** The durable part of a node's state: must be persisted before messages that depend on it are sent. */
export interface HardState {
  term: number;
  vote: NodeId;
  commit: number;
}

export interface ConfState {
  voters: NodeId[];
  learners: NodeId[];
  /** Voters of the outgoing configuration while in a joint configuration (empty otherwise). */
  votersOutgoing: NodeId[];
  /** Learners that become learners when the joint configuration is left. */
  learnersNext: NodeId[];
  /** Leave the joint configuration automatically once it is committed. */
  autoLeave: boolean;
}

export interface SnapshotMetadata {
  confState: ConfState;
  index: number;
  term: number;
}

export interface Snapshot {
  /** Application state machine image (opaque to raft). */
  data: Uint8Array;
  metadata: SnapshotMetadata;
}

export const enum MessageType {
  Hup = 0,
  Beat = 1,
  Prop = 2,
  App = 3,
  AppResp = 4,
  Vote = 5,
  VoteResp = 6,
  Snap = 7,
  Heartbeat = 8,
  HeartbeatResp = 9,
  Unreachable = 10,
  SnapStatus = 11,
  CheckQuorum = 12,
  TransferLeader = 13,
  TimeoutNow = 14,
  ReadIndex = 15,
  ReadIndexResp = 16,
  PreVote = 17,
  PreVoteResp = 18,
  ForgetLeader = 19,
}

export interface Message {
  type: MessageType;
  to: NodeId;
  from: NodeId;
  term: number;
  /** Term of the entry at `index` (log term) for App; last log term for Vote/PreVote. */
  logTerm: number;
  index: number;
  entries: Entry[];
  commit: number;
  /** Present only on Snap messages. */
  snapshot?: Snapshot | undefined;
  reject: boolean;
  rejectHint: number;
  /** Opaque context (ReadIndex request ids, campaign-transfer marker). */
  context: Uint8Array;
}

export const enum ConfChangeType {
  AddNode = 0,
  RemoveNode = 1,
  UpdateNode = 2,
  AddLearnerNode = 3,
}

export interface ConfChangeSingle {
  type: ConfChangeType;
  nodeId: NodeId;
}

export const enum ConfChangeTransition {
  /** Single change applied directly; several changes use a joint config left automatically. */
  Auto = 0,
  JointImplicit = 1,
  JointExplicit = 2,
}

/** A membership change. `context` is passed through to the application (e.g. encoded member info). */
export interface ConfChangeV2 {
  transition: ConfChangeTransition;
  changes: ConfChangeSingle[];
  context: Uint8Array;
}

export const enum StateType {
  Follower = 0,
  Candidate = 1,
  Leader = 2,
  PreCandidate = 3,
}

/** Volatile state, reported in Ready when it changes; never persisted. */
export interface SoftState {
  lead: NodeId;
  raftState: StateType;
}

/** A linearizable read point: once applied index >= `index`, the read identified by requestCtx may be served. */
export interface ReadState {
  index: number;
  requestCtx: Uint8Array;
}

/**
 * What the node asks the application to do. Contract (the order the server's Ready loop follows):
 *  1. If `snapshot` is set, persist it (and apply it to the state machine) first.
 *  2. Append `entries` to stable storage and persist `hardState` if set; fsync iff `mustSync`.
 *  3. Send `messages`. A leader's messages may be sent before step 2 completes (the leader writes its log
 *     in parallel); follower messages must be sent only after step 2, since they acknowledge persisted data.
 *     Messages of type Snap carry a snapshot to stream.
 *  4. Apply `committedEntries` in order (they are already durable on a quorum).
 *  5. Call advance(). Until then the next Ready will not be produced.
 */
export interface Ready {
  softState?: SoftState | undefined;
  hardState?: HardState | undefined;
  readStates: ReadState[];
  entries: Entry[];
  snapshot?: Snapshot | undefined;
  committedEntries: Entry[];
  messages: Message[];
  mustSync: boolean;
}

/** Status of a node for introspection (Status RPC, metrics, promotion checks). */
export interface Progress {
  match: number;
  next: number;
  state: 'probe' | 'replicate' | 'snapshot';
  isLearner: boolean;
  recentActive: boolean;
}

export interface Status {
  id: NodeId;
  hardState: HardState;
  softState: SoftState;
  applied: number;
  leadTransferee: NodeId;
  /** Only on the leader: per-peer replication progress. */
  progress: Map<NodeId, Progress>;
  config: ConfState;
}
