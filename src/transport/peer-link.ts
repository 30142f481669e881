/**
 * One connection carrying a raft stream to a peer: the raw stream (raw-stream.ts), or, for a peer that
 * speaks only HTTP/2 (an older tetcd), a long-lived `POST /raft/stream` request. PeerSender owns the
 * queue, back-pressure and reconnects; a link only connects, writes frames and reports what happened.
 */
import type * as http2 from 'node:http2';
import type * as net from 'node:net';
import type * as tls from 'node:tls';
import { formatIdHex } from '../base/ids.js';
import { connectPeer, connectPeerSocket } from './peer-request.js';
import { encodePreface, parseAnswer, RAW_STREAM_ALPN } from './raw-stream.js';

/** What a link reports; `closed` comes last, once, whatever happened before it. */
export interface LinkEvents {
  /** The peer accepted the stream: frames may be written. */
  active(): void;
  /** The peer refused the stream (wrong cluster, removed member, ...) with this reason. */
  refused(reason: string): void;
  /** The peer speaks only HTTP/2 raft streams (raw links only). */
  legacy(): void;
  closed(): void;
}

export interface PeerLink {
  readonly protocol: 'raft' | 'h2';
  /** Whether frames written now can still reach the peer (false once the connection is closing). */
  writable(): boolean;
  /** Queues one frame; the raw link hands it to the kernel now when the socket's buffer is empty. */
  write(frame: Buffer): void;
  /** Bytes written but not yet handed to the kernel (back-pressure). */
  writableLength(): number;
  close(): void;
}

export interface LinkTarget { url: string; clusterId: bigint; from: bigint; to: bigint }

/**
 * The TLS alert a server sends when it offers none of the client's ALPN protocols (an older tetcd: h2
 * only). Node reports it as EPROTO with OpenSSL's text when it arrives during a write.
 */
function isNoApplicationProtocol(error: NodeJS.ErrnoException): boolean {
  return error.code === 'ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL' || /alert no application protocol/.test(error.message);
}

/** Time a peer gets to answer the preface before the connection is dropped and tried again. */
export const RAW_HANDSHAKE_TIMEOUT_MS = 5000;

/** The raw raft stream: preface line, answer line, then frames straight onto the socket. */
export class RawPeerLink implements PeerLink {
  readonly protocol = 'raft';
  private readonly socket: net.Socket;
  private handshaking = true;
  private answer: Buffer = Buffer.alloc(0);

  constructor(target: LinkTarget, clientTls: tls.ConnectionOptions | undefined, private readonly events: LinkEvents,
    handshakeTimeoutMs = RAW_HANDSHAKE_TIMEOUT_MS) {
    const socket = connectPeerSocket(target.url, clientTls, RAW_STREAM_ALPN);
    this.socket = socket;
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (this.handshaking && isNoApplicationProtocol(error)) this.finishHandshake(() => events.legacy());
    });
    // A TLS server that completes the handshake without choosing our protocol (no ALPN, or an older one
    // that does not send the alert) speaks HTTP/2 only.
    socket.on('secureConnect', () => {
      if ((socket as tls.TLSSocket).alpnProtocol !== RAW_STREAM_ALPN) {
        this.finishHandshake(() => events.legacy());
        socket.destroy();
      }
    });
    socket.setTimeout(handshakeTimeoutMs, () => socket.destroy());
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('close', () => events.closed());
    socket.write(encodePreface(target.clusterId, target.from, target.to));
  }

  writable(): boolean {
    return !this.handshaking && !this.socket.destroyed && this.socket.writable;
  }

  write(frame: Buffer): void {
    this.socket.write(frame);
  }

  writableLength(): number {
    return this.socket.writableLength;
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    if (!this.handshaking) return;
    this.answer = this.answer.length === 0 ? chunk : Buffer.concat([this.answer, chunk]);
    let answer: ReturnType<typeof parseAnswer>;
    try {
      answer = parseAnswer(this.answer);
    } catch {
      this.finishHandshake(() => this.socket.destroy());
      return;
    }
    if (answer === undefined) return;
    if (answer.kind === 'ok') {
      this.finishHandshake(() => this.events.active());
    } else if (answer.kind === 'refused') {
      this.finishHandshake(() => this.events.refused(answer.reason));
      this.socket.destroy();
    } else {
      this.finishHandshake(() => this.events.legacy());
      this.socket.destroy();
    }
  }

  private finishHandshake(report: () => void): void {
    if (!this.handshaking) return;
    this.handshaking = false;
    this.answer = Buffer.alloc(0);
    this.socket.setTimeout(0);
    report();
  }
}

/** The HTTP/2 raft stream (POST /raft/stream), for peers that speak nothing else. */
export class H2PeerLink implements PeerLink {
  readonly protocol = 'h2';
  private readonly session: http2.ClientHttp2Session;
  private readonly stream: http2.ClientHttp2Stream;
  private closed = false;

  constructor(target: LinkTarget, clientTls: tls.ConnectionOptions | undefined, events: LinkEvents) {
    const session = connectPeer(target.url, clientTls);
    this.session = session;
    const onClose = (): void => {
      if (this.closed) return;
      this.closed = true;
      session.destroy();
      events.closed();
    };
    session.on('error', () => undefined);
    session.on('close', onClose);
    const stream = session.request({
      ':method': 'POST', ':path': '/raft/stream',
      'x-tetcd-cluster-id': formatIdHex(target.clusterId),
      'x-tetcd-from': formatIdHex(target.from),
      'x-tetcd-to': formatIdHex(target.to),
    });
    this.stream = stream;
    stream.on('response', (headers) => {
      if (Number(headers[':status']) === 200) {
        events.active();
        return;
      }
      events.refused(String(headers['x-tetcd-reason'] ?? `status ${String(headers[':status'])}`));
      stream.close();
    });
    stream.on('error', () => undefined);
    stream.on('close', onClose);
    stream.resume();
  }

  writable(): boolean {
    return !this.closed && !this.stream.destroyed && this.stream.writable;
  }

  write(frame: Buffer): void {
    this.stream.write(frame);
  }

  writableLength(): number {
    return this.stream.writableLength;
  }

  close(): void {
    this.session.destroy();
  }
}
