/**
 * etcdctl's `protobuf` printer: the marshaled response, written through Go's Printf (so `%%` becomes
 * `%` and other verbs become `%!x(MISSING)`, as etcdctl does). clientv3's lease responses embed the
 * header, whose Marshal is what etcdctl ends up writing for them.
 */
import * as pb from '../../../proto/gen/etcdserverpb.js';
import type { Output } from '../command.js';
import { UnsupportedPrinter } from './printer.js';

/** Applies Go's Printf with no arguments to raw bytes. */
export function goPrintfBytes(data: Uint8Array): Buffer {
  const out: number[] = [];
  const PERCENT = 0x25;
  for (let i = 0; i < data.length; i++) {
    const b = data[i]!;
    if (b !== PERCENT) {
      out.push(b);
      continue;
    }
    const next = data[i + 1];
    if (next === undefined) out.push(...Buffer.from('%!(NOVERB)'));
    else if (next === PERCENT) out.push(PERCENT);
    else out.push(...Buffer.from('%!'), next, ...Buffer.from('(MISSING)'));
    i++;
  }
  return Buffer.from(out);
}

export class ProtobufPrinter extends UnsupportedPrinter {
  constructor(private readonly out: Output) {
    super('protobuf');
  }

  private write(bytes: Uint8Array): void {
    this.out.stdout(goPrintfBytes(bytes));
  }

  private header(h: pb.ResponseHeader | undefined): void {
    this.write(pb.ResponseHeader.encode(h ?? pb.ResponseHeader.create()));
  }

  override get(r: pb.RangeResponse): void { this.write(pb.RangeResponse.encode(r)); }
  override put(r: pb.PutResponse): void { this.write(pb.PutResponse.encode(r)); }
  override del(r: pb.DeleteRangeResponse): void { this.write(pb.DeleteRangeResponse.encode(r)); }
  override txn(r: pb.TxnResponse): void { this.write(pb.TxnResponse.encode(r)); }
  override grant(r: pb.LeaseGrantResponse): void { this.header(r.header); }
  override revoke(_id: bigint, r: pb.LeaseRevokeResponse): void { this.write(pb.LeaseRevokeResponse.encode(r)); }
  override timeToLive(r: pb.LeaseTimeToLiveResponse): void { this.header(r.header); }
  override leases(r: pb.LeaseLeasesResponse): void { this.header(r.header); }
  override memberList(r: pb.MemberListResponse): void { this.write(pb.MemberListResponse.encode(r)); }
  override alarm(r: pb.AlarmResponse): void { this.write(pb.AlarmResponse.encode(r)); }
}
