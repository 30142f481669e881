/** etcdctl's `json` printer: one line of Go encoding/json per result. */
import type * as pb from '../../../proto/gen/etcdserverpb.js';
import type { Output } from '../command.js';
import { goJsonString } from '../go-format.js';
import * as J from './json-encode.js';
import { UnsupportedPrinter } from './printer.js';
import type { EndpointHashKV, EndpointHealth, EndpointStatus } from './printer.js';

export class JsonPrinter extends UnsupportedPrinter {
  constructor(private readonly out: Output) {
    super('json');
  }

  private line(json: string): void {
    this.out.stdout(`${json}\n`);
  }

  override get(r: pb.RangeResponse): void { this.line(J.rangeJson(r)); }
  override put(r: pb.PutResponse): void { this.line(J.putJson(r)); }
  override del(r: pb.DeleteRangeResponse): void { this.line(J.deleteJson(r)); }
  override txn(r: pb.TxnResponse): void { this.line(J.txnJson(r)); }
  override grant(r: pb.LeaseGrantResponse): void { this.line(J.leaseGrantJson(r)); }
  override revoke(_id: bigint, r: pb.LeaseRevokeResponse): void { this.line(J.leaseRevokeJson(r)); }
  override timeToLive(r: pb.LeaseTimeToLiveResponse): void { this.line(J.leaseTimeToLiveJson(r)); }
  override leases(r: pb.LeaseLeasesResponse): void { this.line(J.leaseLeasesJson(r)); }
  override memberList(r: pb.MemberListResponse): void { this.line(J.memberListJson(r)); }
  override alarm(r: pb.AlarmResponse): void { this.line(J.alarmJson(r)); }

  override endpointHealth(hs: EndpointHealth[]): void {
    this.line(`[${hs.map((h) => new J.JsonObject().string('endpoint', h.endpoint, true)
      .raw('health', String(h.health)).string('took', h.took, true).string('error', h.error).toString()).join(',')}]`);
  }

  override endpointStatus(ss: EndpointStatus[]): void {
    this.line(`[${ss.map((s) => `{"Endpoint":${goJsonString(s.endpoint)},"Status":${J.statusJson(s.status)}}`).join(',')}]`);
  }

  override endpointHashKV(hs: EndpointHashKV[]): void {
    this.line(`[${hs.map((h) => `{"Endpoint":${goJsonString(h.endpoint)},"HashKV":${J.hashKVJson(h.hashKV)}}`).join(',')}]`);
  }
}
