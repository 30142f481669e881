/**
 * Rewrites the `:authority` of incoming HTTP/2 requests before nghttp2 sees them. etcdctl 3.4 dials some
 * endpoints as `passthrough:///http://host:port`, so grpc-go sends `:authority: http://host:port`; grpc-go
 * servers accept it, nghttp2 resets the stream (PROTOCOL_ERROR). tetcd does not use the authority, so every
 * literal `:authority` value (static table index 1) is replaced by the short literal `tetcd`.
 *
 * HPACK stays consistent: the rewritten field keeps its representation (incremental indexing, without
 * indexing, never indexed), so the decoder's dynamic table gets an entry at the same position; the entry is
 * never larger than the client's, so the decoder never evicts an entry the encoder still references.
 * Header blocks split over CONTINUATION frames are reassembled into one HEADERS frame.
 */
import { decodeHuffman } from './hpack-huffman.js';

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
const FRAME_HEADERS = 0x1;
const FRAME_CONTINUATION = 0x9;
const FLAG_END_HEADERS = 0x4;
const FLAG_PADDED = 0x8;
const FLAG_PRIORITY = 0x20;
const REPLACEMENT = Buffer.from('tetcd', 'latin1');
/** Largest frame we emit (the HTTP/2 default SETTINGS_MAX_FRAME_SIZE). */
const FRAME_BYTES_MAX = 16_384;

export class AuthorityRewriter {
  private buffered: Buffer = Buffer.alloc(0);
  private prefaceSeen = false;
  private headerBlock: { streamId: number; flags: number; priority: Buffer; parts: Buffer[] } | undefined;

  /** Feeds client bytes; returns the bytes to hand to the HTTP/2 server. Throws on malformed input. */
  push(chunk: Buffer): Buffer {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const out: Buffer[] = [];
    if (!this.prefaceSeen) {
      if (this.buffered.length < PREFACE.length) return Buffer.alloc(0);
      out.push(this.buffered.subarray(0, PREFACE.length));
      this.buffered = this.buffered.subarray(PREFACE.length);
      this.prefaceSeen = true;
    }
    // Frames that pass through unchanged are handed on as one contiguous slice (no copy): the hot path
    // of a gRPC connection is DATA frames; only header blocks are rebuilt.
    let offset = 0;
    let runStart = 0;
    while (this.buffered.length - offset >= 9) {
      const length = this.buffered.readUIntBE(offset, 3);
      if (this.buffered.length - offset < 9 + length) break;
      const frame = this.buffered.subarray(offset, offset + 9 + length);
      const type = frame[3]!;
      if (type === FRAME_HEADERS || type === FRAME_CONTINUATION) {
        if (offset > runStart) out.push(this.buffered.subarray(runStart, offset));
        this.onHeaderFrame(frame, out);
        runStart = offset + 9 + length;
      }
      offset += 9 + length;
    }
    if (offset > runStart) out.push(this.buffered.subarray(runStart, offset));
    this.buffered = this.buffered.subarray(offset);
    return out.length === 1 ? out[0]! : Buffer.concat(out);
  }

  private onHeaderFrame(frame: Buffer, out: Buffer[]): void {
    const type = frame[3]!;
    const flags = frame[4]!;
    const streamId = frame.readUInt32BE(5) & 0x7fffffff;
    let payload = frame.subarray(9);
    if (type === FRAME_HEADERS) {
      let priority: Buffer = Buffer.alloc(0);
      if ((flags & FLAG_PADDED) !== 0) {
        const padLength = payload[0]!;
        payload = payload.subarray(1, payload.length - padLength);
      }
      if ((flags & FLAG_PRIORITY) !== 0) {
        priority = payload.subarray(0, 5);
        payload = payload.subarray(5);
      }
      const kept = flags & (~(FLAG_PADDED | FLAG_END_HEADERS) & 0xff);
      this.headerBlock = { streamId, flags: kept, priority, parts: [payload] };
    } else {
      if (this.headerBlock === undefined || this.headerBlock.streamId !== streamId) {
        out.push(frame);
        return;
      }
      this.headerBlock.parts.push(payload);
    }
    if ((flags & FLAG_END_HEADERS) === 0) return;
    const block = this.headerBlock!;
    this.headerBlock = undefined;
    const rewritten = rewriteBlock(Buffer.concat(block.parts));
    out.push(...encodeHeaderFrames(block.streamId, block.flags, block.priority, rewritten));
  }
}

function encodeHeaderFrames(streamId: number, flags: number, priority: Buffer, block: Buffer): Buffer[] {
  const frames: Buffer[] = [];
  let rest = Buffer.concat([priority, block]);
  let first = true;
  do {
    const take = Math.min(rest.length, FRAME_BYTES_MAX);
    const last = take === rest.length;
    const frame = Buffer.alloc(9 + take);
    frame.writeUIntBE(take, 0, 3);
    frame[3] = first ? FRAME_HEADERS : FRAME_CONTINUATION;
    frame[4] = (first ? flags : 0) | (last ? FLAG_END_HEADERS : 0);
    frame.writeUInt32BE(streamId, 5);
    rest.copy(frame, 9, 0, take);
    frames.push(frame);
    rest = rest.subarray(take);
    first = false;
  } while (rest.length > 0);
  return frames;
}

/** Reads an HPACK integer with an N-bit prefix at `offset`; returns [value, next offset]. */
function readInteger(block: Buffer, offset: number, prefixBits: number): [number, number] {
  const max = (1 << prefixBits) - 1;
  let value = block[offset]! & max;
  let i = offset + 1;
  if (value < max) return [value, i];
  let shift = 0;
  for (;;) {
    if (i >= block.length) throw new Error('truncated HPACK integer');
    const byte = block[i++]!;
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
    if ((byte & 0x80) === 0) return [value, i];
    if (shift > 28) throw new Error('HPACK integer too large');
  }
}

/** Offset just past an HPACK string literal starting at `offset`. */
function skipString(block: Buffer, offset: number): number {
  const [length, next] = readInteger(block, offset, 7);
  if (next + length > block.length) throw new Error('truncated HPACK string');
  return next + length;
}

/** Rewrites literal :authority values in one header block; everything else is copied byte for byte. */
export function rewriteBlock(block: Buffer): Buffer {
  const out: Buffer[] = [];
  let i = 0;
  while (i < block.length) {
    const start = i;
    const byte = block[i]!;
    if ((byte & 0x80) !== 0) { i = readInteger(block, i, 7)[1]; out.push(block.subarray(start, i)); continue; }
    if ((byte & 0xe0) === 0x20) { i = readInteger(block, i, 5)[1]; out.push(block.subarray(start, i)); continue; }
    const prefixBits = (byte & 0xc0) === 0x40 ? 6 : 4;
    const [nameIndex, afterName] = readInteger(block, i, prefixBits);
    i = nameIndex === 0 ? skipString(block, afterName) : afterName;
    const valueStart = i;
    i = skipString(block, i);
    if (nameIndex === 1) {
      out.push(block.subarray(start, valueStart), Buffer.from([REPLACEMENT.length]), REPLACEMENT);
    } else {
      out.push(block.subarray(start, i));
    }
  }
  return Buffer.concat(out);
}

/** Characters nghttp2 accepts in :authority (RFC 3986 authority: unreserved, sub-delims, ':', '@', '[', ']', '%'). */
const AUTHORITY_CHARS = /^[A-Za-z0-9\-._~!$&'()*+,;=:@[\]%]*$/;

/**
 * True if nghttp2 would refuse a :authority in this header block (so the connection needs the
 * rewriting relay), or if the block cannot be read. Literal names spelled ':authority' count as refused.
 */
export function blockNeedsRewrite(block: Buffer): boolean {
  try {
    let i = 0;
    while (i < block.length) {
      const byte = block[i]!;
      if ((byte & 0x80) !== 0) { i = readInteger(block, i, 7)[1]; continue; }
      if ((byte & 0xe0) === 0x20) { i = readInteger(block, i, 5)[1]; continue; }
      const [nameIndex, afterName] = readInteger(block, i, (byte & 0xc0) === 0x40 ? 6 : 4);
      let nameIsAuthority = nameIndex === 1;
      i = afterName;
      if (nameIndex === 0) {
        const name = readString(block, i);
        nameIsAuthority = name.value.toString('latin1') === ':authority';
        i = name.next;
      }
      const value = readString(block, i);
      i = value.next;
      if (nameIsAuthority && !AUTHORITY_CHARS.test(value.value.toString('latin1'))) return true;
    }
    return false;
  } catch {
    return true;
  }
}

/** Reads an HPACK string literal (plain or Huffman-coded) at `offset`. Throws on malformed input. */
function readString(block: Buffer, offset: number): { value: Buffer; next: number } {
  const huffman = (block[offset]! & 0x80) !== 0;
  const next = skipString(block, offset);
  const start = readInteger(block, offset, 7)[1];
  const raw = block.subarray(start, next);
  return { value: huffman ? decodeHuffman(raw) : raw, next };
}
