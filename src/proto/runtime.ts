/**
 * Hand-written runtime for the generated protobuf codecs in src/proto/gen (see README.md).
 *
 * Writer: one growable buffer, reused by every top-level encode(); nested messages reserve a one-byte
 * length prefix and shift their body only when it turns out to be 128 bytes or longer.
 * Reader: decodes from a Uint8Array. Aliasing rule: decoded `bytes` fields are VIEWS into the input
 * (no copy). Do not mutate the input after decoding while the message is in use, and copy (`.slice()`)
 * a bytes field that you keep long-term if the input buffer is large (a view pins the whole buffer).
 */
import { assert } from '../base/assert.js';

/** Malformed or out-of-range wire data (a client/peer error, never a programmer error). */
export class ProtoDecodeError extends Error {
  override readonly name = 'ProtoDecodeError';
}

/** The codec every generated message exports under the message's own name. */
export interface MessageCodec<T> {
  /** Fully qualified protobuf name, e.g. `etcdserverpb.RangeRequest`. */
  readonly typeName: string;
  /** Encodes to a fresh Uint8Array. Throws AssertionError on values that cannot be encoded. */
  encode(message: T): Uint8Array;
  /** Decodes `bytes` (bytes fields alias `bytes`). Throws ProtoDecodeError on malformed input. */
  decode(bytes: Uint8Array): T;
  /** A message with every field at its default, overridden by `init`. */
  create(init?: Partial<T>): T;
  /** Internal: appends the fields of `message` (without a length prefix) to `writer`. */
  write(message: T, writer: Writer): void;
  /** Internal: reads fields until `reader.pos === end`. */
  read(reader: Reader, end: number): T;
}

/** One RPC of a service, as generated from a `.proto` service block. */
export interface MethodDescriptor<Req, Res> {
  readonly name: string;
  readonly requestType: MessageCodec<Req>;
  readonly responseType: MessageCodec<Res>;
  readonly requestStream: boolean;
  readonly responseStream: boolean;
}

/** A generated service: fully qualified name (`etcdserverpb.KV`) and its methods in declaration order. */
export interface ServiceDescriptor {
  readonly fullName: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly methods: readonly MethodDescriptor<any, any>[];
}

/** Shared empty bytes default (zero-length, so sharing it is safe). */
export const EMPTY_BYTES: Uint8Array = new Uint8Array(0);

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LEN = 2;
export const WIRE_START_GROUP = 3;
export const WIRE_END_GROUP = 4;
export const WIRE_FIXED32 = 5;

const WRITER_INITIAL_BYTES = 4096;
/** A shared writer that grew beyond this is dropped on the next reset, so one huge message is not pinned. */
const WRITER_RETAINED_BYTES_MAX = 1024 * 1024;
/** Nesting depth beyond which decode refuses input (stack safety against hostile messages). */
export const DECODE_DEPTH_MAX = 100;
const TWO_POW_32 = 4294967296;
/** Highest `hi` word of a 64-bit value whose magnitude is still a safe integer (2^53 - 1). */
const SAFE_HI_MAX = 0x1fffff;
const BIGINT_MIN = -(1n << 63n);
const BIGINT_MAX = (1n << 64n) - 1n;
/** Strings shorter than this need at most 127 UTF-8 bytes, so their length prefix is one byte. */
const SHORT_STRING_CHARS = 42;
const LONG_STRING_DECODE_BYTES = 48;

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder('utf-8');

/** Growable protobuf writer. Methods write values only; the generated code writes tags via uint32(). */
export class Writer {
  buf: Uint8Array = new Uint8Array(WRITER_INITIAL_BYTES);
  pos = 0;

  /** Empties the writer for a new top-level message. */
  reset(): void {
    if (this.buf.length > WRITER_RETAINED_BYTES_MAX) this.buf = new Uint8Array(WRITER_INITIAL_BYTES);
    this.pos = 0;
  }

  /**
   * A copy of the bytes written so far, in a Buffer from Node's allocation pool (measured cheaper than a
   * fresh ArrayBuffer per message; see docs/design/0002-protobuf-codec.md).
   */
  finish(): Uint8Array {
    const out = Buffer.allocUnsafe(this.pos);
    out.set(this.buf.subarray(0, this.pos));
    return out;
  }

  /** Makes room for `count` more bytes. */
  ensure(count: number): void {
    const need = this.pos + count;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.buf.subarray(0, this.pos));
    this.buf = grown;
  }

  /** Unsigned 32-bit varint (`value` must be in [0, 2^32)). */
  uint32(value: number): void {
    if (this.pos + 5 > this.buf.length) this.ensure(5);
    const buf = this.buf;
    let pos = this.pos;
    while (value > 127) {
      buf[pos++] = (value & 127) | 128;
      value >>>= 7;
    }
    buf[pos++] = value;
    this.pos = pos;
  }

  /** uint32 field value. Throws AssertionError unless an integer in [0, 2^32). */
  uint32Checked(value: number): void {
    assert(value >>> 0 === value, `uint32 field out of range: ${value}`);
    this.uint32(value);
  }

  /**
   * int32/enum: negative values are sign-extended to 10 bytes, as protobuf requires.
   * Throws AssertionError unless an integer in [-2^31, 2^31).
   */
  int32(value: number): void {
    assert((value | 0) === value, `int32 field out of range: ${value}`);
    if (value >= 0) this.uint32(value);
    else this.varint64(value >>> 0, 0xffffffff);
  }

  /** A 64-bit varint given as two unsigned 32-bit halves. */
  varint64(lo: number, hi: number): void {
    if (this.pos + 10 > this.buf.length) this.ensure(10);
    const buf = this.buf;
    let pos = this.pos;
    while (hi !== 0) {
      buf[pos++] = (lo & 127) | 128;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    while (lo > 127) {
      buf[pos++] = (lo & 127) | 128;
      lo >>>= 7;
    }
    buf[pos++] = lo;
    this.pos = pos;
  }

  /** int64 held as a number (two's complement for negatives). Throws AssertionError unless a safe integer. */
  int64(value: number): void {
    if ((value | 0) === value && value >= 0) {
      this.uint32(value);
      return;
    }
    assert(Number.isSafeInteger(value), `int64 field is not a safe integer: ${value}`);
    this.varint64(value >>> 0, Math.floor(value / TWO_POW_32) >>> 0);
  }

  /** uint64 held as a number. Throws AssertionError unless a non-negative safe integer. */
  uint64(value: number): void {
    assert(value >= 0, `uint64 field is negative: ${value}`);
    this.int64(value);
  }

  /** int64/uint64 held as a bigint, in [-2^63, 2^64). Throws AssertionError outside that range. */
  bigint64(value: bigint): void {
    assert(value >= BIGINT_MIN && value <= BIGINT_MAX, `64-bit field out of range: ${value}`);
    const bits = BigInt.asUintN(64, value);
    this.varint64(Number(bits & 0xffffffffn), Number(bits >> 32n));
  }

  /** sint32 (zigzag). Throws AssertionError unless an int32. */
  sint32(value: number): void {
    assert((value | 0) === value, `sint32 field out of range: ${value}`);
    this.uint32(((value << 1) ^ (value >> 31)) >>> 0);
  }

  /** sint64 held as a number (zigzag). */
  sint64(value: number): void {
    assert(Number.isSafeInteger(value), `sint64 field is not a safe integer: ${value}`);
    const lo = value >>> 0;
    const hi = Math.floor(value / TWO_POW_32) >>> 0;
    const sign = hi >> 31;
    this.varint64((((lo << 1) ^ sign) >>> 0), (((hi << 1) | (lo >>> 31)) ^ sign) >>> 0);
  }

  bool(value: boolean): void {
    if (this.pos >= this.buf.length) this.ensure(1);
    this.buf[this.pos++] = value ? 1 : 0;
  }

  /** Length-prefixed bytes. */
  bytes(value: Uint8Array): void {
    const length = value.length;
    this.uint32(length);
    if (this.pos + length > this.buf.length) this.ensure(length);
    if (length < 32) {
      const buf = this.buf;
      let pos = this.pos;
      for (let i = 0; i < length; i++) buf[pos++] = value[i]!;
      this.pos = pos;
    } else {
      this.buf.set(value, this.pos);
      this.pos += length;
    }
  }

  /** Length-prefixed UTF-8 (lone surrogates become U+FFFD, as TextEncoder does). */
  string(value: string): void {
    const chars = value.length;
    if (chars <= SHORT_STRING_CHARS) {
      this.ensure(1 + chars * 3);
      const start = this.pos;
      this.pos = writeUtf8(value, this.buf, start + 1);
      this.buf[start] = this.pos - start - 1;
      return;
    }
    const length = utf8Length(value);
    this.uint32(length);
    this.ensure(length);
    if (length === chars) {
      const buf = this.buf;
      let pos = this.pos;
      for (let i = 0; i < chars; i++) buf[pos++] = value.charCodeAt(i);
      this.pos = pos;
    } else {
      const { written } = textEncoder.encodeInto(value, this.buf.subarray(this.pos, this.pos + length));
      assert(written === length, 'utf8 length mismatch');
      this.pos += length;
    }
  }

  /** Starts a length-delimited field: reserves a one-byte length and returns the position for ldelim(). */
  fork(): number {
    if (this.pos >= this.buf.length) this.ensure(1);
    return this.pos++;
  }

  /** Ends a length-delimited field started by fork(), widening the prefix if the body is long. */
  ldelim(start: number): void {
    const length = this.pos - start - 1;
    assert(length >= 0, 'ldelim before fork');
    if (length < 128) {
      this.buf[start] = length;
      return;
    }
    const prefix = varintSize(length);
    this.ensure(prefix - 1);
    this.buf.copyWithin(start + prefix, start + 1, this.pos);
    this.pos += prefix - 1;
    const end = this.pos;
    this.pos = start;
    this.uint32(length);
    assert(this.pos === start + prefix, 'ldelim prefix size');
    this.pos = end;
  }
}

/** Bytes needed for `value` (a uint32) as a varint. */
export function varintSize(value: number): number {
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x200000) return 3;
  if (value < 0x10000000) return 4;
  return 5;
}

/** UTF-8 byte length of `value`, counting lone surrogates as U+FFFD (3 bytes). */
export function utf8Length(value: string): number {
  let length = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x80) length += 1;
    else if (c < 0x800) length += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < value.length && isLowSurrogate(value.charCodeAt(i + 1))) {
      length += 4;
      i++;
    } else length += 3;
  }
  return length;
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

/** Writes `value` as UTF-8 at `pos` (the caller ensured 3 bytes per char); returns the end position. */
function writeUtf8(value: string, buf: Uint8Array, pos: number): number {
  for (let i = 0; i < value.length; i++) {
    let c = value.charCodeAt(i);
    if (c < 0x80) {
      buf[pos++] = c;
    } else if (c < 0x800) {
      buf[pos++] = 0xc0 | (c >> 6);
      buf[pos++] = 0x80 | (c & 63);
    } else if (c >= 0xd800 && c <= 0xdfff) {
      const next = i + 1 < value.length ? value.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && isLowSurrogate(next)) {
        c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
        i++;
        buf[pos++] = 0xf0 | (c >> 18);
        buf[pos++] = 0x80 | ((c >> 12) & 63);
        buf[pos++] = 0x80 | ((c >> 6) & 63);
        buf[pos++] = 0x80 | (c & 63);
      } else {
        buf[pos++] = 0xef; buf[pos++] = 0xbf; buf[pos++] = 0xbd;
      }
    } else {
      buf[pos++] = 0xe0 | (c >> 12);
      buf[pos++] = 0x80 | ((c >> 6) & 63);
      buf[pos++] = 0x80 | (c & 63);
    }
  }
  return pos;
}

/** Decodes short UTF-8 by hand (ASCII fast path); falls back to TextDecoder for anything else. */
function readUtf8(buf: Uint8Array, start: number, end: number): string {
  if (end - start <= LONG_STRING_DECODE_BYTES) {
    let out = '';
    for (let i = start; i < end; i++) {
      const c = buf[i]!;
      if (c >= 0x80) return textDecoder.decode(buf.subarray(start, end));
      out += String.fromCharCode(c);
    }
    return out;
  }
  return textDecoder.decode(buf.subarray(start, end));
}

/** Protobuf reader over one input buffer. Generated read functions drive it. */
export class Reader {
  pos = 0;
  readonly end: number;
  depth = 0;
  /** Halves of the last 64-bit varint read by varint64(). */
  lo = 0;
  hi = 0;

  constructor(readonly buf: Uint8Array) {
    this.end = buf.length;
  }

  /** A varint truncated to its low 32 bits (unsigned). Throws ProtoDecodeError if truncated/overlong. */
  uint32(): number {
    const buf = this.buf;
    const pos = this.pos;
    if (pos + 1 < this.end) {
      const b = buf[pos]!;
      if (b < 128) {
        this.pos = pos + 1;
        return b;
      }
      const b1 = buf[pos + 1]!;
      if (b1 < 128) {
        this.pos = pos + 2;
        return (b & 127) | (b1 << 7);
      }
    } else if (pos < this.end && buf[pos]! < 128) {
      this.pos = pos + 1;
      return buf[pos]!;
    }
    this.varint64();
    return this.lo;
  }

  /** Reads a full varint into lo/hi. */
  varint64(): void {
    const buf = this.buf;
    const end = this.end;
    let pos = this.pos;
    let lo = 0;
    let hi = 0;
    let shift = 0;
    let b = 128;
    for (; shift < 28 && b >= 128; shift += 7) {
      if (pos >= end) throw new ProtoDecodeError('truncated varint');
      b = buf[pos++]!;
      lo |= (b & 127) << shift;
    }
    if (b >= 128) {
      // Byte 5 carries bits 28..34: four for lo, three for hi.
      if (pos >= end) throw new ProtoDecodeError('truncated varint');
      b = buf[pos++]!;
      lo |= (b & 15) << 28;
      hi = (b & 127) >> 4;
      for (shift = 3; shift < 32 && b >= 128; shift += 7) {
        if (pos >= end) throw new ProtoDecodeError('truncated varint');
        b = buf[pos++]!;
        hi |= (b & 127) << shift;
      }
      if (b >= 128) throw new ProtoDecodeError('varint longer than 10 bytes');
    }
    this.pos = pos;
    this.lo = lo >>> 0;
    this.hi = hi >>> 0;
  }

  int32(): number {
    return this.uint32() | 0;
  }

  /** int64 as a number. Throws ProtoDecodeError unless a safe integer. */
  int64(): number {
    const pos = this.pos;
    if (pos + 3 < this.end) {
      // Fast path: values below 2^28 (up to four bytes), which is nearly every revision and count.
      const buf = this.buf;
      let b = buf[pos]!;
      let value = b & 127;
      if (b < 128) { this.pos = pos + 1; return value; }
      b = buf[pos + 1]!;
      value |= (b & 127) << 7;
      if (b < 128) { this.pos = pos + 2; return value; }
      b = buf[pos + 2]!;
      value |= (b & 127) << 14;
      if (b < 128) { this.pos = pos + 3; return value; }
      b = buf[pos + 3]!;
      value |= (b & 127) << 21;
      if (b < 128) { this.pos = pos + 4; return value; }
    }
    this.varint64();
    const lo = this.lo;
    const hi = this.hi;
    if (hi >= 0x80000000) {
      const negLo = (~lo + 1) >>> 0;
      const negHi = (~hi + (negLo === 0 ? 1 : 0)) >>> 0;
      if (negHi > SAFE_HI_MAX) throw new ProtoDecodeError('int64 value is not a safe integer');
      return -(negHi * TWO_POW_32 + negLo);
    }
    if (hi > SAFE_HI_MAX) throw new ProtoDecodeError('int64 value is not a safe integer');
    return hi * TWO_POW_32 + lo;
  }

  /** uint64 as a number. Throws ProtoDecodeError unless a safe integer. */
  uint64(): number {
    this.varint64();
    if (this.hi > SAFE_HI_MAX) throw new ProtoDecodeError('uint64 value is not a safe integer');
    return this.hi * TWO_POW_32 + this.lo;
  }

  /** int64 as a signed bigint. */
  int64Big(): bigint {
    this.varint64();
    if (this.hi === 0) return BigInt(this.lo);
    return BigInt.asIntN(64, (BigInt(this.hi) << 32n) | BigInt(this.lo));
  }

  /** uint64 as an unsigned bigint. */
  uint64Big(): bigint {
    this.varint64();
    if (this.hi === 0) return BigInt(this.lo);
    return (BigInt(this.hi) << 32n) | BigInt(this.lo);
  }

  sint32(): number {
    const v = this.uint32();
    return (v >>> 1) ^ -(v & 1);
  }

  /** sint64 as a number. Throws ProtoDecodeError unless a safe integer. */
  sint64(): number {
    this.varint64();
    const lo = this.lo;
    const hi = this.hi;
    const magLo = ((lo >>> 1) | (hi << 31)) >>> 0;
    const magHi = hi >>> 1;
    if (magHi > SAFE_HI_MAX) throw new ProtoDecodeError('sint64 value is not a safe integer');
    const magnitude = magHi * TWO_POW_32 + magLo;
    return (lo & 1) === 0 ? magnitude : -magnitude - 1;
  }

  bool(): boolean {
    const pos = this.pos;
    if (pos < this.end) {
      const b = this.buf[pos]!;
      if (b < 128) {
        this.pos = pos + 1;
        return b !== 0;
      }
    }
    this.varint64();
    return (this.lo | this.hi) !== 0;
  }

  /** Reads a length prefix; returns the end offset of the value. Throws ProtoDecodeError past the buffer. */
  lenEnd(): number {
    const length = this.uint32();
    const end = this.pos + length;
    if (length > 0x7fffffff || end > this.end) throw new ProtoDecodeError('length-delimited field past end of input');
    return end;
  }

  /** Length-prefixed bytes as a view into the input (see the aliasing rule in the file header). */
  bytes(): Uint8Array {
    const end = this.lenEnd();
    const start = this.pos;
    this.pos = end;
    if (start === end) return EMPTY_BYTES;
    return new Uint8Array(this.buf.buffer, this.buf.byteOffset + start, end - start);
  }

  string(): string {
    const end = this.lenEnd();
    const start = this.pos;
    this.pos = end;
    return readUtf8(this.buf, start, end);
  }

  /** Reads the length of a nested message and enters it; pair with leave(). Returns its end offset. */
  enter(): number {
    const end = this.lenEnd();
    if (++this.depth > DECODE_DEPTH_MAX) throw new ProtoDecodeError(`messages nested deeper than ${DECODE_DEPTH_MAX}`);
    return end;
  }

  leave(end: number): void {
    if (this.pos !== end) throw new ProtoDecodeError('nested message length mismatch');
    this.depth--;
  }

  /** Skips one value of wire type `wireType` (the tag was already read). */
  skip(tag: number): void {
    const wireType = tag & 7;
    if (tag >>> 3 === 0) throw new ProtoDecodeError('field number 0');
    switch (wireType) {
      case WIRE_VARINT: this.varint64(); return;
      case WIRE_FIXED64: this.skipBytes(8); return;
      case WIRE_LEN: this.pos = this.lenEnd(); return;
      case WIRE_FIXED32: this.skipBytes(4); return;
      case WIRE_START_GROUP: this.skipGroup(tag >>> 3); return;
      default: throw new ProtoDecodeError(`unexpected wire type ${wireType}`);
    }
  }

  private skipBytes(count: number): void {
    if (this.pos + count > this.end) throw new ProtoDecodeError('truncated fixed-width field');
    this.pos += count;
  }

  private skipGroup(fieldNumber: number): void {
    if (++this.depth > DECODE_DEPTH_MAX) throw new ProtoDecodeError('groups nested too deeply');
    for (;;) {
      if (this.pos >= this.end) throw new ProtoDecodeError('unterminated group');
      const tag = this.uint32();
      if ((tag & 7) === WIRE_END_GROUP) {
        if (tag >>> 3 !== fieldNumber) throw new ProtoDecodeError('mismatched end group');
        this.depth--;
        return;
      }
      this.skip(tag);
    }
  }

  /** Called at the end of a read function: fields must end exactly at `end`. */
  expectEnd(end: number): void {
    if (this.pos !== end) throw new ProtoDecodeError('message overran its length');
  }
}

const sharedWriter = new Writer();

/**
 * Builds a codec from generated write/read/create functions. encode() reuses one module-level Writer
 * (encoding is synchronous and never re-entrant) and returns a copy of its bytes.
 */
export function defineCodec<T>(
  typeName: string,
  write: (message: T, writer: Writer) => void,
  read: (reader: Reader, end: number) => T,
  create: (init?: Partial<T>) => T,
): MessageCodec<T> {
  return {
    typeName,
    write,
    read,
    create,
    encode(message: T): Uint8Array {
      const writer = sharedWriter;
      writer.reset();
      write(message, writer);
      return writer.finish();
    },
    decode(bytes: Uint8Array): T {
      const reader = new Reader(bytes);
      return read(reader, bytes.length);
    },
  };
}

/** Throws AssertionError when more than one member of a oneof is set. */
export function assertOneof(setCount: number, name: string): void {
  assert(setCount <= 1, `more than one member of oneof ${name} is set`);
}
