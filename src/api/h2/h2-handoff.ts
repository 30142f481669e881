/**
 * Decides how an HTTP/2 (prior knowledge) client connection reaches node:http2, from its first bytes.
 *
 * The fast path hands the raw socket to nghttp2 (which then reads it natively, with no JS copy of any
 * byte). That is only possible when nghttp2 accepts the client's `:authority`; etcdctl 3.4 sends
 * `http://host:port`, which nghttp2 refuses, so those connections keep the rewriting relay
 * (authority-rewrite.ts). gRPC clients send their first HEADERS only after the server's SETTINGS, so the
 * listener sends an empty SETTINGS frame itself (SERVER_SETTINGS_EMPTY) as soon as the preface arrives,
 * buffers the client's frames, drops the client's ACK of that frame (nghttp2 never sent it and would
 * treat the ACK as a protocol error), and decides once it has both the ACK and the first header block.
 * nghttp2 then sends its own SETTINGS, which the client acknowledges to it as usual.
 *
 *   const sniffer = new H2Sniffer();
 *   const verdict = sniffer.push(chunk);  // undefined: need more bytes
 *   // verdict.path: 'native' | 'relay'; verdict.bytes: what the client sent minus the dropped ACK
 */
import { blockNeedsRewrite } from './authority-rewrite.js';

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
const FRAME_HEADER_BYTES = 9;
const FRAME_HEADERS = 0x1;
const FRAME_SETTINGS = 0x4;
const FRAME_CONTINUATION = 0x9;
const FLAG_ACK = 0x1;
const FLAG_END_HEADERS = 0x4;
const FLAG_PADDED = 0x8;
const FLAG_PRIORITY = 0x20;
const PRIORITY_BYTES = 5;
/** Bytes buffered before a decision at most; a client that sends more goes to the relay. */
export const SNIFF_BYTES_MAX = 64 * 1024;

/** An empty SETTINGS frame: the listener's stand-in for the server connection preface. */
export const SERVER_SETTINGS_EMPTY = Buffer.from([0, 0, 0, FRAME_SETTINGS, 0, 0, 0, 0, 0]);

export interface H2Verdict {
  /** 'native': give nghttp2 the socket itself; 'relay': keep the rewriting relay. */
  path: 'native' | 'relay';
  /** Bytes to replay to nghttp2 first (the preface and frames seen so far, without the dropped ACK). */
  bytes: Buffer;
}

export class H2Sniffer {
  private buffered: Buffer = Buffer.alloc(0);
  /** Complete frames (and the preface) to replay, in order. */
  private readonly kept: Buffer[] = [];
  private prefaceSeen = false;
  private ackDropped = false;
  private blockParts: Buffer[] | undefined;
  private firstBlock: Buffer | undefined;

  /** Feeds client bytes; returns the verdict once it is known (then stop feeding), else undefined. */
  push(chunk: Buffer): H2Verdict | undefined {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    if (!this.prefaceSeen) {
      if (this.buffered.length < PREFACE.length) return undefined;
      if (!this.buffered.subarray(0, PREFACE.length).equals(PREFACE)) return this.verdict('relay');
      this.kept.push(this.buffered.subarray(0, PREFACE.length));
      this.buffered = this.buffered.subarray(PREFACE.length);
      this.prefaceSeen = true;
    }
    let offset = 0;
    while (this.buffered.length - offset >= FRAME_HEADER_BYTES) {
      const length = this.buffered.readUIntBE(offset, 3);
      if (this.buffered.length - offset < FRAME_HEADER_BYTES + length) break;
      this.onFrame(this.buffered.subarray(offset, offset + FRAME_HEADER_BYTES + length));
      offset += FRAME_HEADER_BYTES + length;
    }
    this.buffered = this.buffered.subarray(offset);
    if (this.ackDropped && this.firstBlock !== undefined) {
      return this.verdict(blockNeedsRewrite(this.firstBlock) ? 'relay' : 'native');
    }
    const size = this.kept.reduce((sum, part) => sum + part.length, this.buffered.length);
    return size > SNIFF_BYTES_MAX ? this.verdict('relay') : undefined;
  }

  private verdict(path: H2Verdict['path']): H2Verdict {
    return { path, bytes: Buffer.concat([...this.kept, this.buffered]) };
  }

  private onFrame(frame: Buffer): void {
    const type = frame[3]!;
    const flags = frame[4]!;
    if (type === FRAME_SETTINGS && (flags & FLAG_ACK) !== 0 && !this.ackDropped) {
      this.ackDropped = true; // the ACK of SERVER_SETTINGS_EMPTY
      return;
    }
    this.kept.push(frame);
    if (this.firstBlock !== undefined) return;
    if (type === FRAME_HEADERS && this.blockParts === undefined) {
      let payload = frame.subarray(FRAME_HEADER_BYTES);
      if ((flags & FLAG_PADDED) !== 0) payload = payload.subarray(1, payload.length - payload[0]!);
      if ((flags & FLAG_PRIORITY) !== 0) payload = payload.subarray(PRIORITY_BYTES);
      this.blockParts = [payload];
    } else if (type === FRAME_CONTINUATION && this.blockParts !== undefined) {
      this.blockParts.push(frame.subarray(FRAME_HEADER_BYTES));
    } else {
      return;
    }
    if ((flags & FLAG_END_HEADERS) !== 0) this.firstBlock = Buffer.concat(this.blockParts);
  }
}
