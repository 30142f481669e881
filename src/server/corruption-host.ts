/**
 * Wires the corruption checks (corruption-checker.ts) to a member: local hashes from its MVCC store,
 * peer hashes over the transport's POST /members/hashkv, CORRUPT alarms through raft; and serves the
 * peers' HashKV requests.
 */
import { AlarmRequest, AlarmRequest_AlarmAction, AlarmType, HashKVRequest, HashKVResponse, type ResponseHeader }
  from '../proto/gen/etcdserverpb.js';
import type { MvccStore } from '../mvcc/store.js';
import type { CorruptionCheckHost, PeerHash } from './corruption-checker.js';
import type { Transport } from './transport-api.js';

export interface CorruptionHostDeps {
  memberId: bigint;
  /** Every member id in the current membership (self included). */
  memberIds(): bigint[];
  store(): MvccStore;
  transport: Transport;
  isLeader(): boolean;
  alarm(request: AlarmRequest): Promise<unknown>;
}

export function corruptionCheckHost(deps: CorruptionHostDeps): CorruptionCheckHost {
  return {
    memberId: deps.memberId,
    peerIds: () => deps.memberIds().filter((id) => id !== deps.memberId),
    localHash: (revision) => deps.store().hashByRevision(revision),
    isLeader: deps.isLeader,
    peerHash: async (id, revision): Promise<PeerHash> => {
      if (deps.transport.fetchHashKv === undefined) throw new Error('the transport cannot fetch peer hashes');
      const bytes = await deps.transport.fetchHashKv(id, HashKVRequest.encode(HashKVRequest.create({ revision })));
      const response = HashKVResponse.decode(bytes);
      return { memberId: response.header?.memberId ?? id, hash: response.hash,
        revision: response.header?.revision ?? 0, compactRevision: response.compactRevision };
    },
    raiseCorrupt: async (memberID) => {
      await deps.alarm(AlarmRequest.create({
        action: AlarmRequest_AlarmAction.ACTIVATE, memberID, alarm: AlarmType.CORRUPT }));
    },
  };
}

/** Answers a peer's HashKV request from `store`. Throws EtcdError ERR_COMPACTED / ERR_FUTURE_REV. */
export function serveHashKv(store: MvccStore, header: ResponseHeader, request: Uint8Array): Uint8Array {
  const { revision } = HashKVRequest.decode(request);
  const result = store.hashByRevision(revision);
  return HashKVResponse.encode(HashKVResponse.create({ header, hash: result.hash,
    compactRevision: result.compactRevision, hashRevision: result.hashRevision }));
}
