/**
 * gRPC message framing over HTTP/2 DATA: [1-byte compressed flag][4-byte big-endian length][message].
 * The reader enforces the receive limit with grpc-go's error text, which etcd clients print verbatim.
 */
import { GrpcStatus } from '../../base/errors.js';

export class GrpcCallError extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
  }
}

export function frameMessage(payload: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(5 + payload.length);
  frame[0] = 0;
  frame.writeUInt32BE(payload.length, 1);
  frame.set(payload, 5);
  return frame;
}

/** Incremental reader of length-prefixed gRPC messages. */
export class MessageReader {
  private chunks: Buffer[] = [];
  private size = 0;

  constructor(private readonly maxReceiveBytes: number) {}

  /** Returns the complete messages in `chunk` (and earlier leftovers). Throws GrpcCallError. */
  push(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk);
    this.size += chunk.length;
    const out: Buffer[] = [];
    while (this.size >= 5) {
      const head = this.chunks[0]!.length >= 5 ? this.chunks[0]! : this.join();
      const compressed = head[0]!;
      const length = head.readUInt32BE(1);
      if (compressed !== 0) {
        throw new GrpcCallError(GrpcStatus.UNIMPLEMENTED, 'grpc: Decompressor is not installed for grpc-encoding');
      }
      if (length > this.maxReceiveBytes) {
        throw new GrpcCallError(GrpcStatus.RESOURCE_EXHAUSTED,
          `grpc: received message larger than max (${length} vs. ${this.maxReceiveBytes})`);
      }
      if (this.size < 5 + length) break;
      const all = this.join();
      out.push(all.subarray(5, 5 + length));
      const rest = all.subarray(5 + length);
      this.chunks = rest.length > 0 ? [rest] : [];
      this.size = rest.length;
    }
    return out;
  }

  private join(): Buffer {
    if (this.chunks.length === 1) return this.chunks[0]!;
    const joined = Buffer.concat(this.chunks);
    this.chunks = [joined];
    return joined;
  }
}

/** Percent-encodes grpc-message as the gRPC spec requires (bytes outside printable ASCII, and '%'). */
export function encodeGrpcMessage(message: string): string {
  let out = '';
  for (const byte of Buffer.from(message, 'utf8')) {
    out += byte >= 0x20 && byte <= 0x7e && byte !== 0x25 ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}
