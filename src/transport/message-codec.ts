/**
 * Converts between the Raft core's Message and the raftpb wire codec, and frames message batches on a
 * peer stream as [u32 big-endian length][raftpb.MessageBatch]. Frames over `frameBytesMax` are refused on
 * read (a peer cannot make us allocate without bound).
 */
import { assert } from '../base/assert.js';
import * as pb from '../proto/gen/raftpb.js';
import type { ConfState, Entry, Message, Snapshot } from '../raft/types.js';

const EMPTY_CONF: ConfState = { voters: [], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false };

export function toWire(m: Message): pb.Message {
  return pb.Message.create({
    type: m.type, to: m.to, from: m.from, term: m.term, logTerm: m.logTerm, index: m.index,
    entries: m.entries as pb.Entry[], commit: m.commit,
    snapshot: m.snapshot === undefined ? undefined : snapshotToWire(m.snapshot),
    reject: m.reject, rejectHint: m.rejectHint, context: m.context,
  });
}

export function fromWire(m: pb.Message): Message {
  const message: Message = {
    type: m.type, to: m.to, from: m.from, term: m.term, logTerm: m.logTerm, index: m.index,
    entries: m.entries as Entry[], commit: m.commit, reject: m.reject, rejectHint: m.rejectHint, context: m.context,
  };
  if (m.snapshot !== undefined) message.snapshot = snapshotFromWire(m.snapshot);
  return message;
}

function snapshotToWire(s: Snapshot): pb.Snapshot {
  return pb.Snapshot.create({ data: s.data, metadata: pb.SnapshotMetadata.create({
    index: s.metadata.index, term: s.metadata.term, confState: pb.ConfState.create(s.metadata.confState) }) });
}

function snapshotFromWire(s: pb.Snapshot): Snapshot {
  const meta = s.metadata;
  return { data: s.data, metadata: { index: meta?.index ?? 0, term: meta?.term ?? 0,
    confState: meta?.confState ?? EMPTY_CONF } };
}

export function encodeFrame(messages: Message[]): Buffer {
  const body = pb.MessageBatch.encode(pb.MessageBatch.create({ messages: messages.map(toWire) }));
  const frame = Buffer.allocUnsafe(4 + body.length);
  frame.writeUInt32BE(body.length, 0);
  frame.set(body, 4);
  return frame;
}

/**
 * Incremental frame reader for a byte stream. push() returns the complete batches decoded so far.
 * Throws on a frame larger than `frameBytesMax` or an undecodable batch (the caller drops the stream).
 */
export class FrameReader {
  private buffered: Buffer[] = [];
  private bufferedBytes = 0;

  constructor(private readonly frameBytesMax: number) {
    assert(frameBytesMax > 0, 'frameBytesMax must be positive');
  }

  push(chunk: Buffer): Message[][] {
    this.buffered.push(chunk);
    this.bufferedBytes += chunk.length;
    const batches: Message[][] = [];
    for (;;) {
      if (this.bufferedBytes < 4) break;
      const head = this.peek(4);
      const length = head.readUInt32BE(0);
      if (length > this.frameBytesMax) throw new Error(`peer frame of ${length} bytes exceeds ${this.frameBytesMax}`);
      if (this.bufferedBytes < 4 + length) break;
      const frame = this.take(4 + length);
      batches.push(pb.MessageBatch.decode(frame.subarray(4)).messages.map(fromWire));
    }
    return batches;
  }

  /**
   * Like push(), but decodes at most one frame: for a stream whose first frame is followed by other
   * bytes (a snapshot message, then the database image). Returns the batch once complete; the bytes
   * after it stay buffered for drain().
   * @throws Error on an oversized or undecodable frame.
   */
  pushFirst(chunk: Buffer): Message[] | undefined {
    this.buffered.push(chunk);
    this.bufferedBytes += chunk.length;
    if (this.bufferedBytes < 4) return undefined;
    const length = this.peek(4).readUInt32BE(0);
    if (length > this.frameBytesMax) throw new Error(`peer frame of ${length} bytes exceeds ${this.frameBytesMax}`);
    if (this.bufferedBytes < 4 + length) return undefined;
    return pb.MessageBatch.decode(this.take(4 + length).subarray(4)).messages.map(fromWire);
  }

  /** Returns (and forgets) bytes buffered after the last complete frame. */
  drain(): Buffer[] {
    const rest = this.buffered;
    this.buffered = [];
    this.bufferedBytes = 0;
    return rest;
  }

  private peek(n: number): Buffer {
    if (this.buffered[0]!.length >= n) return this.buffered[0]!;
    const joined = Buffer.concat(this.buffered);
    this.buffered = [joined];
    return joined;
  }

  private take(n: number): Buffer {
    const joined = this.buffered.length === 1 ? this.buffered[0]! : Buffer.concat(this.buffered);
    const frame = joined.subarray(0, n);
    const rest = joined.subarray(n);
    this.buffered = rest.length > 0 ? [rest] : [];
    this.bufferedBytes -= n;
    return frame;
  }
}
