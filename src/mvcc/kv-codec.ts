import { assert } from '../base/assert.js';
import { CorruptionError } from '../base/errors.js';

/**
 * mvccpb.KeyValue and mvccpb.Event as plain data (the same shape as src/proto/gen/mvccpb.ts), and the
 * one codec for the `key` bucket's values.
 *
 * The encoder is written here (not protobufjs) because the bytes must equal etcd's gogo-protobuf
 * output exactly: fields in number order, proto3 zero values omitted. Hashes (HashKV) and bbolt
 * snapshot copies depend on it.
 */
export interface KeyValue {
  key: Uint8Array;
  createRevision: number;
  modRevision: number;
  version: number;
  value: Uint8Array;
  lease: bigint;
}

/** mvccpb.Event.EventType values. */
export const EventType = { PUT: 0, DELETE: 1 } as const;

export interface Event {
  type: number;
  kv: KeyValue | undefined;
  prevKv: KeyValue | undefined;
}

const EMPTY = new Uint8Array(0);

/** A KeyValue with every field zero except those given. */
export function makeKeyValue(init: Partial<KeyValue>): KeyValue {
  return {
    key: init.key ?? EMPTY, createRevision: init.createRevision ?? 0, modRevision: init.modRevision ?? 0,
    version: init.version ?? 0, value: init.value ?? EMPTY, lease: init.lease ?? 0n,
  };
}

function varintSize(value: bigint): number {
  let size = 1;
  for (let v = value; v >= 0x80n; v >>= 7n) size++;
  return size;
}

function numberVarintSize(value: number): number {
  let size = 1;
  for (let v = value; v >= 0x80; v = Math.floor(v / 128)) size++;
  return size;
}

class Writer {
  readonly bytes: Uint8Array;
  offset = 0;
  constructor(size: number) {
    this.bytes = new Uint8Array(size);
  }
  varint(value: number): void {
    let v = value;
    while (v >= 0x80) {
      this.bytes[this.offset++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    this.bytes[this.offset++] = v;
  }
  bigVarint(value: bigint): void {
    let v = value;
    while (v >= 0x80n) {
      this.bytes[this.offset++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.bytes[this.offset++] = Number(v);
  }
  raw(data: Uint8Array): void {
    this.bytes.set(data, this.offset);
    this.offset += data.length;
  }
}

/** Encodes a KeyValue exactly as etcd does. Throws AssertionError on negative revisions/version. */
export function encodeKeyValue(kv: KeyValue): Uint8Array {
  assert(kv.createRevision >= 0 && kv.modRevision >= 0 && kv.version >= 0, 'negative revision in KeyValue');
  const lease = BigInt.asUintN(64, kv.lease);
  let size = 0;
  if (kv.key.length > 0) size += 1 + numberVarintSize(kv.key.length) + kv.key.length;
  if (kv.createRevision !== 0) size += 1 + numberVarintSize(kv.createRevision);
  if (kv.modRevision !== 0) size += 1 + numberVarintSize(kv.modRevision);
  if (kv.version !== 0) size += 1 + numberVarintSize(kv.version);
  if (kv.value.length > 0) size += 1 + numberVarintSize(kv.value.length) + kv.value.length;
  if (lease !== 0n) size += 1 + varintSize(lease);
  const w = new Writer(size);
  if (kv.key.length > 0) { w.varint(0x0a); w.varint(kv.key.length); w.raw(kv.key); }
  if (kv.createRevision !== 0) { w.varint(0x10); w.varint(kv.createRevision); }
  if (kv.modRevision !== 0) { w.varint(0x18); w.varint(kv.modRevision); }
  if (kv.version !== 0) { w.varint(0x20); w.varint(kv.version); }
  if (kv.value.length > 0) { w.varint(0x2a); w.varint(kv.value.length); w.raw(kv.value); }
  if (lease !== 0n) { w.varint(0x30); w.bigVarint(lease); }
  assert(w.offset === size, 'KeyValue size mismatch');
  return w.bytes;
}

class Reader {
  offset = 0;
  constructor(readonly bytes: Uint8Array) {}
  fail(detail: string): never {
    throw new CorruptionError('backend:key', this.offset, `bad KeyValue: ${detail}`);
  }
  bigVarint(): bigint {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (this.offset >= this.bytes.length) this.fail('truncated varint');
      const byte = this.bytes[this.offset++]!;
      result |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return BigInt.asUintN(64, result);
    }
    return this.fail('varint too long');
  }
  varint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      if (this.offset >= this.bytes.length) this.fail('truncated varint');
      const byte = this.bytes[this.offset++]!;
      result += (byte & 0x7f) * scale;
      if (byte < 0x80) {
        if (!Number.isSafeInteger(result)) this.fail('integer is not safe');
        return result;
      }
      scale *= 128;
    }
    return this.fail('integer is not safe');
  }
  lengthDelimited(): Uint8Array {
    const length = this.varint();
    if (this.offset + length > this.bytes.length) this.fail('truncated field');
    const data = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return data;
  }
  skip(wireType: number): void {
    if (wireType === 0) this.bigVarint();
    else if (wireType === 2) this.lengthDelimited();
    else if (wireType === 1) this.offset += 8;
    else if (wireType === 5) this.offset += 4;
    else this.fail(`wire type ${wireType}`);
  }
}

/**
 * Decodes a KeyValue (views into `bytes` are copied so the result owns its memory). Throws
 * CorruptionError on malformed input or unsafe integers.
 */
export function decodeKeyValue(bytes: Uint8Array): KeyValue {
  const r = new Reader(bytes);
  const kv = makeKeyValue({});
  while (r.offset < bytes.length) {
    const tag = r.varint();
    const field = Math.floor(tag / 8);
    const wireType = tag & 7;
    if (field === 1 && wireType === 2) kv.key = r.lengthDelimited().slice();
    else if (field === 2 && wireType === 0) kv.createRevision = r.varint();
    else if (field === 3 && wireType === 0) kv.modRevision = r.varint();
    else if (field === 4 && wireType === 0) kv.version = r.varint();
    else if (field === 5 && wireType === 2) kv.value = r.lengthDelimited().slice();
    else if (field === 6 && wireType === 0) kv.lease = BigInt.asIntN(64, r.bigVarint());
    else r.skip(wireType);
  }
  if (r.offset !== bytes.length) r.fail('trailing bytes');
  return kv;
}
