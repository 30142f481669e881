/**
 * The printer interface etcdctl's display uses: one method per result kind. Implementations:
 * simple, json, fields, table, protobuf (see NewPrinter in etcdctl). A printer that does not support
 * a kind throws CtlExit(BAD_FEATURE, "<format> not supported as output format").
 */
import type * as pb from '../../../proto/gen/etcdserverpb.js';
import { CtlExit, ExitCode } from '../errors.js';

/** One `endpoint health` result. `took` is Go duration text. */
export interface EndpointHealth {
  endpoint: string;
  health: boolean;
  took: string;
  error: string;
}

/** One `endpoint status` result. */
export interface EndpointStatus {
  endpoint: string;
  status: pb.StatusResponse;
}

/** One `endpoint hashkv` result. */
export interface EndpointHashKV {
  endpoint: string;
  hashKV: pb.HashKVResponse;
}

/** Display of every command result. */
export interface Printer {
  get(r: pb.RangeResponse): void;
  put(r: pb.PutResponse): void;
  del(r: pb.DeleteRangeResponse): void;
  txn(r: pb.TxnResponse): void;
  grant(r: pb.LeaseGrantResponse): void;
  revoke(id: bigint, r: pb.LeaseRevokeResponse): void;
  timeToLive(r: pb.LeaseTimeToLiveResponse, withKeys: boolean): void;
  leases(r: pb.LeaseLeasesResponse): void;
  memberList(r: pb.MemberListResponse): void;
  alarm(r: pb.AlarmResponse): void;
  endpointHealth(hs: EndpointHealth[]): void;
  endpointStatus(ss: EndpointStatus[]): void;
  endpointHashKV(hs: EndpointHashKV[]): void;
}

/** Throws the error etcdctl's printerUnsupported raises. */
export function unsupported(format: string): never {
  throw new CtlExit(ExitCode.BAD_FEATURE, `${format} not supported as output format`);
}

/** A printer whose every method is unsupported; concrete printers override what they support. */
export class UnsupportedPrinter implements Printer {
  constructor(protected readonly format: string) {}
  get(_r: pb.RangeResponse): void { unsupported(this.format); }
  put(_r: pb.PutResponse): void { unsupported(this.format); }
  del(_r: pb.DeleteRangeResponse): void { unsupported(this.format); }
  txn(_r: pb.TxnResponse): void { unsupported(this.format); }
  grant(_r: pb.LeaseGrantResponse): void { unsupported(this.format); }
  revoke(_id: bigint, _r: pb.LeaseRevokeResponse): void { unsupported(this.format); }
  timeToLive(_r: pb.LeaseTimeToLiveResponse, _withKeys: boolean): void { unsupported(this.format); }
  leases(_r: pb.LeaseLeasesResponse): void { unsupported(this.format); }
  memberList(_r: pb.MemberListResponse): void { unsupported(this.format); }
  alarm(_r: pb.AlarmResponse): void { unsupported(this.format); }
  endpointHealth(_hs: EndpointHealth[]): void { unsupported(this.format); }
  endpointStatus(_ss: EndpointStatus[]): void { unsupported(this.format); }
  endpointHashKV(_hs: EndpointHashKV[]): void { unsupported(this.format); }
}

/** Lower-case hex of a 64-bit id without padding (Go's %x of a uint64). */
export function hexId(id: bigint): string {
  return BigInt.asUintN(64, id).toString(16);
}

/** Go's %016x of a lease id (an int64: negative ids print with a leading '-', as Go does). */
export function leaseHex(id: bigint): string {
  const v = BigInt.asIntN(64, id);
  return v < 0n ? `-${(-v).toString(16).padStart(16, '0')}` : v.toString(16).padStart(16, '0');
}

/** Unsigned decimal of a uint64 id. */
export function u64(id: bigint): string {
  return BigInt.asUintN(64, id).toString();
}
