/**
 * What the server needs from peer networking. src/transport implements it over HTTP/2; the simulator
 * or tests may substitute their own. The server owns this interface (dependency points inward).
 */
import type { Message, SnapshotMetadata } from '../raft/types.js';

/** Lease requests a follower forwards to the leader (they need the leader's expiry deadlines). */
export type LeaseForwardKind = 'keepalive' | 'timetolive';

export interface Transport {
  /** Sends messages to their `to` peers; never blocks; messages to unreachable peers are dropped. */
  send(messages: Message[]): void;
  addPeer(id: bigint, peerUrls: string[]): void;
  removePeer(id: bigint): void;
  updatePeer(id: bigint, peerUrls: string[]): void;
  /** Milliseconds since the stream to `id` became active, or undefined if it is not active. */
  activeForMs(id: bigint): number | undefined;
  /** Asks member `leaderId` to promote learner `memberId` (promotion must run on the leader). */
  forwardPromote(leaderId: bigint, memberId: bigint): Promise<void>;
  /**
   * Sends an encoded LeaseKeepAliveRequest / LeaseTimeToLiveRequest to the leader and returns its encoded
   * response (POST /leases/<kind>). Throws EtcdError as the leader answered it, or Error if unreachable.
   */
  forwardLease?(leaderId: bigint, kind: LeaseForwardKind, request: Uint8Array): Promise<Uint8Array>;
  /**
   * Asks peer `id` for HashKV (encoded HashKVRequest in, encoded HashKVResponse out; POST /members/hashkv),
   * for the corruption checks. Throws EtcdError as the peer answered it, or Error if unreachable.
   */
  fetchHashKv?(id: bigint, request: Uint8Array): Promise<Uint8Array>;
  stop(): Promise<void>;
}

/** Callbacks from the transport into the server. */
export interface TransportHandler {
  /** Messages received from peers, to be stepped into raft. */
  receive(messages: Message[]): void;
  reportUnreachable(id: bigint): void;
  reportSnapshot(id: bigint, status: 'finish' | 'failure'): void;
  /**
   * A consistent copy of the backend to send with a MsgSnap (path of a file the transport may read), and
   * the metadata the message must carry instead of raft's stored snapshot: the applied index, its term and
   * the current membership, which the image covers (etcd's merged snapshot message).
   */
  snapshotDb(): Promise<{ path: string; metadata: SnapshotMetadata; release: () => Promise<void> }>;
  /** Stores an incoming backend snapshot (readable stream of the db bytes) before its MsgSnap is stepped. */
  receiveSnapshotDb(message: Message, body: AsyncIterable<Buffer>): Promise<void>;
  /** A peer refused this member because it was removed from the cluster: stop serving. */
  removedByPeer(): void;
  /** Whether a peer id is a removed member (its messages are refused). */
  isRemoved(id: bigint): boolean;
  /** The membership as JSON for GET /members (used by members joining with --initial-cluster-state existing). */
  membersJson(): string;
  /** Promotes a learner on behalf of a peer (POST /members/promote/<id>); throws EtcdError. */
  promoteMember(id: bigint): Promise<void>;
  /** Serves a lease request forwarded by a follower (encoded request in, encoded response out); throws EtcdError. */
  serveForwardedLease?(kind: LeaseForwardKind, request: Uint8Array): Promise<Uint8Array>;
  /** Serves a peer's HashKV request for the corruption checks (encoded in and out); throws EtcdError. */
  serveHashKv?(request: Uint8Array): Promise<Uint8Array>;
}
