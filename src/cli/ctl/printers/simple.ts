/** etcdctl's default `simple` printer. */
import type * as pb from '../../../proto/gen/etcdserverpb.js';
import type { KeyValue } from '../../../proto/gen/mvccpb.js';
import type { Output } from '../command.js';
import { goString, humanizeBytes } from '../go-format.js';
import { hexId, leaseHex, UnsupportedPrinter } from './printer.js';
import type { EndpointHashKV, EndpointHealth, EndpointStatus } from './printer.js';

/** `\x66\x6f\x6f` form used by --hex. */
export function hexEscaped(bytes: Uint8Array): string {
  return [...bytes].map((b) => `\\x${b.toString(16).padStart(2, '0')}`).join('');
}

const ALARM_NAMES = ['NONE', 'NOSPACE', 'CORRUPT'];

/** Simple printer: key/value lines, `OK`, `SUCCESS`/`FAILURE`, comma-joined rows. */
export class SimplePrinter extends UnsupportedPrinter {
  /** Set by `get --print-value-only`. */
  valueOnly = false;

  constructor(private readonly out: Output, private readonly isHex: boolean) {
    super('simple');
  }

  private line(text: string): void {
    this.out.stdout(`${text}\n`);
  }

  private kv(kv: KeyValue, valueOnly: boolean): void {
    const key = this.isHex ? hexEscaped(kv.key) : goString(kv.key);
    const value = this.isHex ? hexEscaped(kv.value) : goString(kv.value);
    if (!valueOnly) this.line(key);
    this.line(value);
  }

  override get(r: pb.RangeResponse): void {
    for (const kv of r.kvs) this.kv(kv, this.valueOnly);
  }

  override put(r: pb.PutResponse): void {
    this.line('OK');
    if (r.prevKv !== undefined) this.kv(r.prevKv, false);
  }

  override del(r: pb.DeleteRangeResponse): void {
    this.line(String(r.deleted));
    for (const kv of r.prevKvs) this.kv(kv, false);
  }

  override txn(r: pb.TxnResponse): void {
    this.line(r.succeeded ? 'SUCCESS' : 'FAILURE');
    for (const op of r.responses) {
      this.line('');
      if (op.responsePut !== undefined) this.put(op.responsePut);
      else if (op.responseRange !== undefined) this.get(op.responseRange);
      else if (op.responseDeleteRange !== undefined) this.del(op.responseDeleteRange);
      else this.line('unexpected response');
    }
  }

  override grant(r: pb.LeaseGrantResponse): void {
    this.line(`lease ${leaseHex(r.ID)} granted with TTL(${r.TTL}s)`);
  }

  override revoke(id: bigint, _r: pb.LeaseRevokeResponse): void {
    this.line(`lease ${leaseHex(id)} revoked`);
  }

  override timeToLive(r: pb.LeaseTimeToLiveResponse, withKeys: boolean): void {
    if (r.grantedTTL === 0 && r.TTL === -1) {
      this.line(`lease ${leaseHex(r.ID)} already expired`);
      return;
    }
    let text = `lease ${leaseHex(r.ID)} granted with TTL(${r.grantedTTL}s), remaining(${r.TTL}s)`;
    if (withKeys) text += `, attached keys([${r.keys.map(goString).join(' ')}])`;
    this.line(text);
  }

  override leases(r: pb.LeaseLeasesResponse): void {
    this.line(`found ${r.leases.length} leases`);
    for (const lease of r.leases) this.line(leaseHex(lease.ID));
  }

  override memberList(r: pb.MemberListResponse): void {
    for (const m of r.members) {
      this.line([hexId(m.ID), m.name.length > 0 ? 'started' : 'unstarted', m.name, m.peerURLs.join(','),
        m.clientURLs.join(','), String(m.isLearner)].join(', '));
    }
  }

  override alarm(r: pb.AlarmResponse): void {
    for (const a of r.alarms) this.line(`memberID:${a.memberID} alarm:${ALARM_NAMES[a.alarm] ?? a.alarm} `);
  }

  override endpointHealth(hs: EndpointHealth[]): void {
    for (const h of hs) {
      // etcdctl 3.4 writes both verdicts to stderr.
      if (h.error === '') this.out.stderr(`${h.endpoint} is healthy: successfully committed proposal: took = ${h.took}\n`);
      else this.out.stderr(`${h.endpoint} is unhealthy: failed to commit proposal: ${h.error}\n`);
    }
  }

  override endpointStatus(ss: EndpointStatus[]): void {
    for (const row of statusRows(ss)) this.line(row.join(', '));
  }

  override endpointHashKV(hs: EndpointHashKV[]): void {
    for (const h of hs) this.line(`${h.endpoint}, ${h.hashKV.hash}`);
  }
}

/** The rows `endpoint status` shows in simple and table form. */
export function statusRows(ss: EndpointStatus[]): string[][] {
  return ss.map(({ endpoint, status }) => [
    endpoint, hexId(status.header?.memberId ?? 0n), status.version, humanizeBytes(status.dbSize),
    String(status.leader === (status.header?.memberId ?? 0n)), String(status.isLearner), String(status.raftTerm),
    String(status.raftIndex), String(status.raftAppliedIndex), status.errors.join(', '),
  ]);
}
