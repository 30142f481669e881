/** etcdctl's `fields` printer: `"Name" : value` lines (Go %q for byte strings). */
import type * as pb from '../../../proto/gen/etcdserverpb.js';
import type { KeyValue } from '../../../proto/gen/mvccpb.js';
import type { Output } from '../command.js';
import { goQuote } from '../go-format.js';
import { u64, UnsupportedPrinter } from './printer.js';
import type { EndpointHashKV, EndpointHealth, EndpointStatus } from './printer.js';

const ALARM_NAMES = ['NONE', 'NOSPACE', 'CORRUPT'];

export class FieldsPrinter extends UnsupportedPrinter {
  constructor(private readonly out: Output) {
    super('fields');
  }

  private field(name: string, value: string): void {
    this.out.stdout(`"${name}" : ${value}\n`);
  }

  private hdr(h: pb.ResponseHeader | undefined): void {
    this.field('ClusterID', u64(h?.clusterId ?? 0n));
    this.field('MemberID', u64(h?.memberId ?? 0n));
    this.field('Revision', String(h?.revision ?? 0));
    this.field('RaftTerm', String(h?.raftTerm ?? 0));
  }

  private kv(prefix: string, kv: KeyValue): void {
    this.field(`${prefix}Key`, goQuote(kv.key));
    this.field(`${prefix}CreateRevision`, String(kv.createRevision));
    this.field(`${prefix}ModRevision`, String(kv.modRevision));
    this.field(`${prefix}Version`, String(kv.version));
    this.field(`${prefix}Value`, goQuote(kv.value));
    this.field(`${prefix}Lease`, String(kv.lease));
  }

  override get(r: pb.RangeResponse): void {
    this.hdr(r.header);
    for (const kv of r.kvs) this.kv('', kv);
    this.field('More', String(r.more));
    this.field('Count', String(r.count));
  }

  override put(r: pb.PutResponse): void {
    this.hdr(r.header);
    if (r.prevKv !== undefined) this.kv('Prev', r.prevKv);
  }

  override del(r: pb.DeleteRangeResponse): void {
    this.hdr(r.header);
    this.field('Deleted', String(r.deleted));
    for (const kv of r.prevKvs) this.kv('Prev', kv);
  }

  override txn(r: pb.TxnResponse): void {
    this.hdr(r.header);
    this.field('Succeeded', String(r.succeeded));
    for (const op of r.responses) {
      if (op.responseDeleteRange !== undefined) this.del(op.responseDeleteRange);
      else if (op.responsePut !== undefined) this.put(op.responsePut);
      else if (op.responseRange !== undefined) this.get(op.responseRange);
    }
  }

  override grant(r: pb.LeaseGrantResponse): void {
    this.hdr(r.header);
    this.field('ID', String(r.ID));
    this.field('TTL', String(r.TTL));
  }

  override revoke(_id: bigint, r: pb.LeaseRevokeResponse): void {
    this.hdr(r.header);
  }

  override timeToLive(r: pb.LeaseTimeToLiveResponse): void {
    this.hdr(r.header);
    this.field('ID', String(r.ID));
    this.field('TTL', String(r.TTL));
    this.field('GrantedTTL', String(r.grantedTTL));
    for (const k of r.keys) this.field('Key', goQuote(k));
  }

  override leases(r: pb.LeaseLeasesResponse): void {
    this.hdr(r.header);
    for (const l of r.leases) this.field('ID', String(l.ID));
  }

  override memberList(r: pb.MemberListResponse): void {
    this.hdr(r.header);
    for (const m of r.members) {
      this.field('ID', u64(m.ID));
      this.field('Name', goQuote(m.name));
      for (const u of m.peerURLs) this.field('PeerURL', goQuote(u));
      for (const u of m.clientURLs) this.field('ClientURL', goQuote(u));
      this.field('IsLearner', String(m.isLearner));
      this.out.stdout('\n');
    }
  }

  override alarm(r: pb.AlarmResponse): void {
    this.hdr(r.header);
    for (const a of r.alarms) {
      this.field('MemberID', u64(a.memberID));
      this.field('AlarmType', ALARM_NAMES[a.alarm] ?? String(a.alarm));
      this.out.stdout('\n');
    }
  }

  override endpointHealth(hs: EndpointHealth[]): void {
    for (const h of hs) {
      this.field('Endpoint', goQuote(h.endpoint));
      this.field('Health', String(h.health));
      this.field('Took', h.took);
      this.field('Error', h.error);
      this.out.stdout('\n');
    }
  }

  override endpointStatus(ss: EndpointStatus[]): void {
    for (const { endpoint, status: s } of ss) {
      this.hdr(s.header);
      this.field('Version', goQuote(s.version));
      this.field('DBSize', String(s.dbSize));
      this.field('Leader', u64(s.leader));
      this.field('IsLearner', String(s.isLearner));
      this.field('RaftIndex', String(s.raftIndex));
      this.field('RaftTerm', String(s.raftTerm));
      this.field('RaftAppliedIndex', String(s.raftAppliedIndex));
      this.field('Errors', `[${s.errors.join(' ')}]`);
      this.field('Endpoint', goQuote(endpoint));
      this.out.stdout('\n');
    }
  }

  override endpointHashKV(hs: EndpointHashKV[]): void {
    for (const { endpoint, hashKV } of hs) {
      this.hdr(hashKV.header);
      this.field('Endpoint', goQuote(endpoint));
      this.field('Hash', String(hashKV.hash));
      this.out.stdout('\n');
    }
  }
}
