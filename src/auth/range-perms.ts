/**
 * A user's key permissions merged across all of its roles into sorted, non-overlapping intervals, one
 * set for READ and one for WRITE (READWRITE adds to both), as etcd's range permission cache. A
 * permission with an empty range end covers one key; a range end of "\0" means "to the end of the
 * keyspace"; otherwise it covers [key, rangeEnd).
 */
import type { Permission, Role } from '../proto/gen/authpb.js';
import { Permission_Type } from '../proto/gen/authpb.js';

/** [start, end) with `end` undefined meaning unbounded; keys are compared as binary strings. */
interface Interval { start: string; end: string | undefined }

/** Bytes as a latin1 string: JavaScript string comparison then orders them as bytes compare. */
function binary(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += String.fromCharCode(bytes[i]!);
  return out;
}

function isOpenEnd(end: Uint8Array): boolean {
  return end.length === 1 && end[0] === 0;
}

/** The interval a permission or a request covers. */
function toInterval(key: Uint8Array, rangeEnd: Uint8Array): Interval {
  const start = binary(key);
  if (rangeEnd.length === 0) return { start, end: start + '\0' };
  return { start, end: isOpenEnd(rangeEnd) ? undefined : binary(rangeEnd) };
}

function endBefore(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined) return false;
  return b === undefined || a < b;
}

/** Sorts and merges overlapping or touching intervals. */
function merge(intervals: Interval[]): Interval[] {
  const sorted = intervals.filter((i) => i.end === undefined || i.start < i.end)
    .sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  const out: Interval[] = [];
  for (const next of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && (last.end === undefined || next.start <= last.end)) {
      if (endBefore(last.end, next.end)) last.end = next.end;
    } else {
      out.push({ ...next });
    }
  }
  return out;
}

export class UnifiedPermissions {
  private readonly read: Interval[];
  private readonly write: Interval[];

  constructor(roles: readonly Role[]) {
    const read: Interval[] = [];
    const write: Interval[] = [];
    for (const role of roles) {
      for (const perm of role.keyPermission) addPerm(perm, read, write);
    }
    this.read = merge(read);
    this.write = merge(write);
  }

  /** True when every key of [key, rangeEnd) (rangeEnd as in a RangeRequest) is covered for `type`. */
  permits(key: Uint8Array, rangeEnd: Uint8Array, type: Permission_Type.READ | Permission_Type.WRITE): boolean {
    const wanted = toInterval(key, rangeEnd);
    const set = type === Permission_Type.READ ? this.read : this.write;
    // Intervals are merged, so one of them must contain the whole request.
    for (const interval of set) {
      if (interval.start > wanted.start) return false;
      if (!endBefore(interval.end, wanted.end)) return true;
    }
    return false;
  }
}

function addPerm(perm: Permission, read: Interval[], write: Interval[]): void {
  const interval = toInterval(perm.key, perm.rangeEnd);
  if (perm.permType === Permission_Type.READ || perm.permType === Permission_Type.READWRITE) read.push(interval);
  if (perm.permType === Permission_Type.WRITE || perm.permType === Permission_Type.READWRITE) {
    write.push({ ...interval });
  }
}
