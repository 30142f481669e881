/**
 * Go encoding/json output of etcd's gogo-generated structs: snake/camel json tags, `omitempty` on
 * every proto field, 64-bit integers as exact bare numbers (bigint/number → decimal text, never via
 * float), bytes as standard base64. Each function returns one JSON value as text.
 */
import type * as pb from '../../../proto/gen/etcdserverpb.js';
import type { KeyValue } from '../../../proto/gen/mvccpb.js';
import { goJsonString } from '../go-format.js';

/** Builds one JSON object with Go's omitempty rules. */
export class JsonObject {
  private readonly parts: string[] = [];

  /** Integer field; omitted when zero unless `always`. */
  int(name: string, value: number | bigint, always = false): this {
    if (always || (typeof value === 'bigint' ? value !== 0n : value !== 0)) this.raw(name, value.toString());
    return this;
  }

  uint64(name: string, value: bigint, always = false): this {
    return this.int(name, BigInt.asUintN(64, value), always);
  }

  bool(name: string, value: boolean): this {
    if (value) this.raw(name, 'true');
    return this;
  }

  string(name: string, value: string, always = false): this {
    if (always || value !== '') this.raw(name, goJsonString(value));
    return this;
  }

  bytes(name: string, value: Uint8Array): this {
    if (value.length > 0) this.raw(name, goJsonString(Buffer.from(value).toString('base64')));
    return this;
  }

  /** Nested value already encoded; omitted when undefined. */
  raw(name: string, json: string | undefined): this {
    if (json !== undefined) this.parts.push(`${goJsonString(name)}:${json}`);
    return this;
  }

  /** Array field; omitted when empty. */
  array<T>(name: string, items: readonly T[], encode: (item: T) => string): this {
    if (items.length > 0) this.raw(name, `[${items.map(encode).join(',')}]`);
    return this;
  }

  /** Appends the fields of an embedded struct (Go flattens embedded pointers). */
  embed(other: JsonObject | undefined): this {
    if (other !== undefined) this.parts.push(...other.parts);
    return this;
  }

  toString(): string {
    return `{${this.parts.join(',')}}`;
  }
}

/** ResponseHeader fields (cluster_id, member_id, revision, raft_term). */
export function headerObject(h: pb.ResponseHeader | undefined): JsonObject | undefined {
  if (h === undefined) return undefined;
  return new JsonObject().uint64('cluster_id', h.clusterId).uint64('member_id', h.memberId)
    .int('revision', h.revision).int('raft_term', h.raftTerm);
}

function header(h: pb.ResponseHeader | undefined): string | undefined {
  return headerObject(h)?.toString();
}

export function keyValueJson(kv: KeyValue): string {
  return new JsonObject().bytes('key', kv.key).int('create_revision', kv.createRevision)
    .int('mod_revision', kv.modRevision).int('version', kv.version).bytes('value', kv.value)
    .int('lease', kv.lease).toString();
}

export function rangeJson(r: pb.RangeResponse): string {
  return new JsonObject().raw('header', header(r.header)).array('kvs', r.kvs, keyValueJson)
    .bool('more', r.more).int('count', r.count).toString();
}

export function putJson(r: pb.PutResponse): string {
  return new JsonObject().raw('header', header(r.header))
    .raw('prev_kv', r.prevKv === undefined ? undefined : keyValueJson(r.prevKv)).toString();
}

export function deleteJson(r: pb.DeleteRangeResponse): string {
  return new JsonObject().raw('header', header(r.header)).int('deleted', r.deleted)
    .array('prev_kvs', r.prevKvs, keyValueJson).toString();
}

function responseOpJson(op: pb.ResponseOp): string {
  let inner: string;
  if (op.responseRange !== undefined) inner = `{"ResponseRange":${rangeJson(op.responseRange)}}`;
  else if (op.responsePut !== undefined) inner = `{"ResponsePut":${putJson(op.responsePut)}}`;
  else if (op.responseDeleteRange !== undefined) inner = `{"ResponseDeleteRange":${deleteJson(op.responseDeleteRange)}}`;
  else if (op.responseTxn !== undefined) inner = `{"ResponseTxn":${txnJson(op.responseTxn)}}`;
  else inner = 'null';
  return `{"Response":${inner}}`;
}

export function txnJson(r: pb.TxnResponse): string {
  return new JsonObject().raw('header', header(r.header)).bool('succeeded', r.succeeded)
    .array('responses', r.responses, responseOpJson).toString();
}

export function memberJson(m: pb.Member): string {
  const str = (s: string): string => goJsonString(s);
  return new JsonObject().uint64('ID', m.ID).string('name', m.name).array('peerURLs', m.peerURLs, str)
    .array('clientURLs', m.clientURLs, str).bool('isLearner', m.isLearner).toString();
}

export function memberListJson(r: pb.MemberListResponse): string {
  return new JsonObject().raw('header', header(r.header)).array('members', r.members, memberJson).toString();
}

export function alarmJson(r: pb.AlarmResponse): string {
  const alarm = (a: pb.AlarmMember): string =>
    new JsonObject().uint64('memberID', a.memberID).int('alarm', a.alarm).toString();
  return new JsonObject().raw('header', header(r.header)).array('alarms', r.alarms, alarm).toString();
}

/** StatusResponse as etcdctl 3.4's struct knows it (fields up to isLearner). */
export function statusJson(r: pb.StatusResponse): string {
  return new JsonObject().raw('header', header(r.header)).string('version', r.version).int('dbSize', r.dbSize)
    .uint64('leader', r.leader).int('raftIndex', r.raftIndex).int('raftTerm', r.raftTerm)
    .int('raftAppliedIndex', r.raftAppliedIndex).array('errors', r.errors, goJsonString)
    .int('dbSizeInUse', r.dbSizeInUse).bool('isLearner', r.isLearner).toString();
}

/** HashKVResponse as etcdctl 3.4 knows it (no hash_revision). */
export function hashKVJson(r: pb.HashKVResponse): string {
  return new JsonObject().raw('header', header(r.header)).int('hash', r.hash)
    .int('compact_revision', r.compactRevision).toString();
}

export function leaseRevokeJson(r: pb.LeaseRevokeResponse): string {
  return new JsonObject().raw('header', header(r.header)).toString();
}

/** clientv3.LeaseGrantResponse: embedded header, then ID, TTL, Error (no omitempty). */
export function leaseGrantJson(r: pb.LeaseGrantResponse): string {
  return new JsonObject().embed(headerObject(r.header)).int('ID', r.ID, true).int('TTL', r.TTL, true)
    .string('Error', r.error, true).toString();
}

/** clientv3.LeaseTimeToLiveResponse: embedded header, id, ttl, granted-ttl, keys (null when none). */
export function leaseTimeToLiveJson(r: pb.LeaseTimeToLiveResponse): string {
  const keys = r.keys.length === 0 ? 'null'
    : `[${r.keys.map((k) => goJsonString(Buffer.from(k).toString('base64'))).join(',')}]`;
  return new JsonObject().embed(headerObject(r.header)).int('id', r.ID, true).int('ttl', r.TTL, true)
    .int('granted-ttl', r.grantedTTL, true).raw('keys', keys).toString();
}

/** clientv3.LeaseLeasesResponse: embedded header, leases [{id}] (always present). */
export function leaseLeasesJson(r: pb.LeaseLeasesResponse): string {
  const items = r.leases.map((l) => new JsonObject().int('id', l.ID, true).toString());
  return new JsonObject().embed(headerObject(r.header)).raw('leases', `[${items.join(',')}]`).toString();
}
