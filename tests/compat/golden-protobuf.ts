/**
 * `-w protobuf` output differs between two servers in more than the id bytes (length prefixes change
 * with the ids' varint sizes), so the golden test compares it structurally: it checks that the bytes
 * round-trip exactly through tetcd's codecs (so they are Go's marshaling), then zeroes ids, maps URLs
 * to `<endpoint>`, re-encodes and compares hex.
 */
import * as pb from '../../src/proto/gen/etcdserverpb.js';
import type { MessageCodec } from '../../src/proto/runtime.js';
import type { Side } from './golden-support.js';

/** Which response message a protobuf case prints. */
export type ProtobufKind = 'range' | 'put' | 'del' | 'txn' | 'members' | 'header';

const CODECS: Readonly<Record<ProtobufKind, MessageCodec<unknown>>> = {
  range: pb.RangeResponse as MessageCodec<unknown>, put: pb.PutResponse as MessageCodec<unknown>,
  del: pb.DeleteRangeResponse as MessageCodec<unknown>, txn: pb.TxnResponse as MessageCodec<unknown>,
  members: pb.MemberListResponse as MessageCodec<unknown>, header: pb.ResponseHeader as MessageCodec<unknown>,
};

const ID_FIELDS = new Set(['clusterId', 'memberId', 'ID', 'leader']);

function scrub(value: unknown, urls: ReadonlySet<string>): unknown {
  if (Array.isArray(value)) return value.map((v) => scrub(v, urls));
  if (typeof value === 'string') return urls.has(value) ? '<endpoint>' : value;
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = ID_FIELDS.has(k) && typeof v === 'bigint' ? 0n : scrub(v, urls);
  return out;
}

const PERCENT = 0x25;
const MISSING = Buffer.from('(MISSING)');
const NOVERB = Buffer.from('%!(NOVERB)');

/**
 * Undoes Go's Printf with no arguments (which etcdctl applies to the marshaled bytes): `%!X(MISSING)`
 * was `%X`, a trailing `%!(NOVERB)` was `%`, any other `%` was `%%`. Ids whose varint holds 0x25 hit this.
 */
export function unprintf(out: Buffer): Buffer {
  const raw: number[] = [];
  for (let i = 0; i < out.length; i++) {
    const b = out[i]!;
    if (b !== PERCENT) raw.push(b);
    else if (i === out.length - NOVERB.length && out.subarray(i).equals(NOVERB)) {
      raw.push(PERCENT);
      break;
    } else if (out[i + 1] === 0x21 && out.subarray(i + 3, i + 3 + MISSING.length).equals(MISSING)) {
      raw.push(PERCENT, out[i + 2]!);
      i += 2 + MISSING.length;
    } else raw.push(PERCENT, PERCENT);
  }
  return Buffer.from(raw);
}

/** A comparable text for protobuf output `printed` of `kind` printed against `side`'s server. */
export function canonicalProtobuf(kind: ProtobufKind, printed: Buffer, side: Side): string {
  const codec = CODECS[kind];
  const raw = printed.includes(PERCENT) ? unprintf(printed) : printed;
  let message: unknown;
  try {
    message = codec.decode(raw);
  } catch (error) {
    return `undecodable ${kind} (${(error as Error).message}): ${raw.toString('hex')}`;
  }
  if (!Buffer.from(codec.encode(message)).equals(raw)) return `not canonical ${kind}: ${raw.toString('hex')}`;
  const urls = new Set([side.server.clientUrl, side.server.peerUrl, side.server.endpoint]);
  return `${kind}: ${Buffer.from(codec.encode(scrub(message, urls))).toString('hex')}`;
}
