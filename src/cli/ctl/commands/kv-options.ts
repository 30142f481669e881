/**
 * Builds Range/Put/DeleteRange requests from get/put/del arguments exactly as etcdctl's getGetOp,
 * getPutOp and getDelOp do, including their error messages and exit codes.
 */
import * as pb from '../../../proto/gen/etcdserverpb.js';
import type { FlagValues } from '../flag-parser.js';
import { CtlExit, ExitCode } from '../errors.js';
import { GoParseError, parseGoInt } from '../go-format.js';

const te = new TextEncoder();
const bytes = (s: string): Uint8Array => te.encode(s);
/** clientv3's "\x00" (from-key range end / empty-key prefix). */
const NUL = new Uint8Array([0]);

/** clientv3.GetPrefixRangeEnd: the smallest key greater than every key with `prefix`. */
export function prefixRangeEnd(prefix: Uint8Array): Uint8Array {
  const end = Uint8Array.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i] = end[i]! + 1;
      return end.subarray(0, i + 1);
    }
  }
  return NUL;
}

function badArgs(text: string): CtlExit {
  return new CtlExit(ExitCode.BAD_ARGS, text);
}

const SORT_ORDERS: Readonly<Record<string, number>> = {
  ASCEND: pb.RangeRequest_SortOrder.ASCEND, DESCEND: pb.RangeRequest_SortOrder.DESCEND, '': pb.RangeRequest_SortOrder.NONE,
};
const SORT_TARGETS: Readonly<Record<string, number>> = {
  CREATE: pb.RangeRequest_SortTarget.CREATE, KEY: pb.RangeRequest_SortTarget.KEY,
  MODIFY: pb.RangeRequest_SortTarget.MOD, VALUE: pb.RangeRequest_SortTarget.VALUE,
  VERSION: pb.RangeRequest_SortTarget.VERSION, '': pb.RangeRequest_SortTarget.KEY,
};

function keyAndRange(args: string[], prefix: boolean, fromKey: boolean): [Uint8Array, Uint8Array] {
  if (prefix && fromKey) {
    throw badArgs('`--prefix` and `--from-key` cannot be set at the same time, choose one');
  }
  let key = bytes(args[0]!);
  let rangeEnd: Uint8Array = new Uint8Array(0);
  if (args.length > 1) {
    if (prefix || fromKey) {
      throw badArgs('too many arguments, only accept one argument when `--prefix` or `--from-key` is set');
    }
    rangeEnd = bytes(args[1]!);
  }
  if (prefix) {
    if (key.length === 0) {
      key = NUL;
      rangeEnd = NUL;
    } else rangeEnd = prefixRangeEnd(key);
  }
  if (fromKey) {
    if (key.length === 0) key = NUL;
    rangeEnd = NUL;
  }
  return [key, rangeEnd];
}

/** getGetOp. Throws CtlExit with etcdctl's messages. */
export function buildRange(args: string[], flags: FlagValues): pb.RangeRequest {
  if (args.length === 0) throw badArgs('get command needs one argument as key and an optional argument as range_end');
  const consistency = flags.string('consistency');
  if (consistency !== 's' && consistency !== 'l') {
    throw new CtlExit(ExitCode.BAD_FEATURE, `unknown consistency flag "${consistency}"`);
  }
  const [key, rangeEnd] = keyAndRange(args, flags.bool('prefix'), flags.bool('from-key'));
  const orderText = flags.string('order');
  let sortOrder = SORT_ORDERS[orderText.toUpperCase()];
  if (sortOrder === undefined) throw new CtlExit(ExitCode.BAD_FEATURE, `bad sort order ${orderText}`);
  const targetText = flags.string('sort-by');
  const sortTarget = SORT_TARGETS[targetText.toUpperCase()];
  if (sortTarget === undefined) throw new CtlExit(ExitCode.BAD_FEATURE, `bad sort target ${targetText}`);
  if (sortTarget === pb.RangeRequest_SortTarget.KEY && sortOrder === pb.RangeRequest_SortOrder.ASCEND) {
    sortOrder = pb.RangeRequest_SortOrder.NONE;
  }
  const rev = Number(flags.int('rev'));
  return pb.RangeRequest.create({
    key, rangeEnd, limit: Number(flags.int('limit')), revision: rev > 0 ? rev : 0, sortOrder, sortTarget,
    serializable: consistency === 's', keysOnly: flags.bool('keys-only'),
    countOnly: flags.has('count-only') ? flags.bool('count-only') : false,
  });
}

/** Parses a hex lease id as etcdctl does (strconv.ParseInt base 16). Throws GoParseError. */
export function parseLeaseHex(text: string): bigint {
  return parseGoInt(text, 16);
}

/** getPutOp's argument checks and request (value read by the caller when absent). */
export function buildPut(key: string, value: Uint8Array, flags: FlagValues): pb.PutRequest {
  let lease: bigint;
  try {
    lease = parseLeaseHex(flags.string('lease'));
  } catch (error) {
    if (!(error instanceof GoParseError)) throw error;
    throw badArgs(`bad lease ID (${error.message}), expecting ID in Hex`);
  }
  return pb.PutRequest.create({
    key: bytes(key), value, lease, prevKv: flags.bool('prev-kv'),
    ignoreValue: flags.bool('ignore-value'), ignoreLease: flags.bool('ignore-lease'),
  });
}

/** getDelOp. Throws CtlExit with etcdctl's messages. */
export function buildDelete(args: string[], flags: FlagValues): pb.DeleteRangeRequest {
  if (args.length === 0 || args.length > 2) {
    throw badArgs('del command needs one argument as key and an optional argument as range_end');
  }
  const [key, rangeEnd] = keyAndRange(args, flags.bool('prefix'), flags.bool('from-key'));
  return pb.DeleteRangeRequest.create({ key, rangeEnd, prevKv: flags.bool('prev-kv') });
}
