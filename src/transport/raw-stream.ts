/**
 * The raft stream's own protocol on the peer port (docs/design/0014-raw-peer-stream.md). A sender opens a
 * TCP (or TLS, ALPN `tetcd-raft`) connection and writes one preface line naming the cluster, itself and
 * the receiver; the receiver answers `OK` or `ERR <reason>` on one line. After `OK` the sender writes
 * message-batch frames (message-codec.ts) and the receiver sends nothing more.
 *
 * The peer port tells this protocol from HTTP/2 by the first bytes: an HTTP/2 client starts with
 * `PRI * HTTP/2.0`, a raft stream with `TETCD-RAFT/1 `.
 */
import { formatIdHex } from '../base/ids.js';

/** ALPN protocol id of the raft stream on an https:// peer URL. */
export const RAW_STREAM_ALPN = 'tetcd-raft';

/** What a raft stream's preface line starts with. */
export const RAW_STREAM_MAGIC = 'TETCD-RAFT/1 ';

/** How an HTTP/2 client connection starts (`PRI * HTTP/2.0`). */
const H2_PREFACE_START = 'PRI';

/** Longest preface or answer line accepted (a reason text fits; more is a protocol error). */
export const RAW_STREAM_LINE_BYTES_MAX = 1024;

export interface RawStreamPreface { clusterId: string; from: string; to: string }

/** The preface line for a stream from `from` to `to` in cluster `clusterId` (ids as lowercase hex). */
export function encodePreface(clusterId: bigint, from: bigint, to: bigint): string {
  return `${RAW_STREAM_MAGIC}${formatIdHex(clusterId)} ${formatIdHex(from)} ${formatIdHex(to)}\n`;
}

/** Parses a preface line (without its newline); undefined if it is not one. */
export function parsePreface(line: string): RawStreamPreface | undefined {
  if (!line.startsWith(RAW_STREAM_MAGIC)) return undefined;
  const fields = line.slice(RAW_STREAM_MAGIC.length).split(' ');
  if (fields.length !== 3) return undefined;
  const [clusterId, from, to] = fields as [string, string, string];
  return { clusterId, from, to };
}

/** Which protocol the first bytes of a peer-port connection speak: undefined while too few have arrived. */
export function sniffPeerProtocol(head: Buffer): 'h2' | 'raft' | 'unknown' | undefined {
  const text = head.subarray(0, RAW_STREAM_MAGIC.length).toString('latin1');
  if (text.startsWith(H2_PREFACE_START)) return 'h2';
  if (text === RAW_STREAM_MAGIC) return 'raft';
  if (H2_PREFACE_START.startsWith(text) || RAW_STREAM_MAGIC.startsWith(text)) return undefined;
  return 'unknown';
}

/** The receiver's answer line to a preface. */
export function encodeAnswer(refusal: string | undefined): string {
  return refusal === undefined ? 'OK\n' : `ERR ${refusal.replace(/\n/g, ' ')}\n`;
}

/**
 * Reads the answer line from the bytes received so far: `ok`, `refused` with the reason, `legacy` when
 * the peer speaks only HTTP/2 (an older tetcd: its first bytes are a SETTINGS frame, not a text line), or
 * undefined while the line is incomplete.
 * @throws Error on an over-long or unrecognised line.
 */
export function parseAnswer(head: Buffer): { kind: 'ok' } | { kind: 'refused'; reason: string } | { kind: 'legacy' } | undefined {
  if (head.length === 0) return undefined;
  if (head[0] !== 0x4f /* O */ && head[0] !== 0x45 /* E */) return { kind: 'legacy' };
  const newline = head.indexOf(0x0a);
  if (newline < 0) {
    if (head.length > RAW_STREAM_LINE_BYTES_MAX) throw new Error('raft stream answer line too long');
    return undefined;
  }
  const line = head.subarray(0, newline).toString('utf8');
  if (line === 'OK') return { kind: 'ok' };
  if (line.startsWith('ERR ')) return { kind: 'refused', reason: line.slice(4) };
  throw new Error(`unrecognised raft stream answer ${JSON.stringify(line.slice(0, 64))}`);
}
