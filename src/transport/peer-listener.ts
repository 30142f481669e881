/**
 * The incoming half on --listen-peer-urls. A connection is either a raw raft stream (raw-stream.ts:
 * preface line, then framed message batches from one peer) or HTTP/2, told apart by its first bytes.
 * Over HTTP/2, `POST /raft/stream` is the raft stream of an older tetcd and `POST /raft/snapshot` carries
 * one MsgSnap frame followed by the backend image. Every stream and request names cluster, sender and
 * receiver; a wrong cluster id, a removed sender or a stream meant for another member is refused with a
 * reason (`ERR` line, or 412), as etcd refuses such peers.
 *
 * Each listen URL gets its own TCP or TLS server feeding the one HTTP/2 server. With TLS (an https://
 * peer URL) the handshake verifies the client certificate when --peer-client-cert-auth is on, then
 * etcd's post-handshake checks run (CRL, allowed CN / hostname, client-cert SAN vs remote address)
 * before any byte is read: a process without an acceptable certificate reaches no handler.
 */
import * as http2 from 'node:http2';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { formatIdHex } from '../base/ids.js';
import type { Message } from '../raft/types.js';
import type { TransportHandler } from '../server/transport-api.js';
import type { Logger } from '../platform/logger.js';
import type { PeerCertificateCheck } from '../platform/tls-config.js';
import { FrameReader } from './message-codec.js';
import { encodeAnswer, parsePreface, RAW_STREAM_ALPN, RAW_STREAM_LINE_BYTES_MAX, sniffPeerProtocol,
  type RawStreamPreface } from './raw-stream.js';

export interface ListenerIdentity { localId: bigint; clusterId: bigint }

/** Time a new connection gets to show its protocol (and a raft stream its whole preface line). */
export const SNIFF_TIMEOUT_MS = 10_000;
/** Time a refused raft stream's sender gets to read the ERR line and close before it is dropped. */
export const REFUSAL_LINGER_MS = 1000;

/** TLS for the peer port: server options and the post-handshake certificate checks. */
export interface PeerListenerTls { options: tls.TlsOptions; check: PeerCertificateCheck }

export class PeerListener {
  private readonly server: http2.Http2Server;
  private readonly listeners: Array<net.Server | tls.Server> = [];
  private readonly sockets = new Set<net.Socket>();
  private readonly sessions = new Set<http2.ServerHttp2Session>();
  /** Closers of the open incoming raft streams by sender id (hex), so a removed member's can be closed. */
  private readonly incoming = new Map<string, Set<() => void>>();

  constructor(
    private readonly identity: ListenerIdentity,
    private readonly handler: TransportHandler,
    private readonly logger: Logger,
    private readonly frameBytesMax: number,
    private readonly tlsConfig: PeerListenerTls | undefined,
    private readonly sniffTimeoutMs = SNIFF_TIMEOUT_MS,
  ) {
    this.server = http2.createServer();
    this.server.on('session', (session) => {
      this.sessions.add(session);
      session.on('close', () => this.sessions.delete(session));
      session.on('error', () => undefined);
    });
    this.server.on('stream', (stream, headers) => this.onStream(stream, headers));
  }

  /**
   * Listens on host:port, with TLS when `secure` (an https:// peer URL); resolves to the bound port.
   * @throws Error if `secure` and no peer TLS is configured, or the port cannot be bound.
   */
  listen(host: string, port: number, secure = false): Promise<number> {
    if (secure && this.tlsConfig === undefined) {
      return Promise.reject(new Error(`cannot listen on TLS for ${host}:${port}: KeyFile and CertFile are not presented`));
    }
    const listener = secure ? this.createTlsServer(this.tlsConfig!) : net.createServer((socket) => {
      socket.on('error', () => undefined);
      this.route(socket);
    });
    listener.on('connection', (socket: net.Socket) => {
      socket.setNoDelay(true);
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    this.listeners.push(listener);
    return new Promise((resolve, reject) => {
      listener.once('error', reject);
      listener.listen(port, host, () => {
        listener.off('error', reject);
        const address = listener.address();
        resolve(typeof address === 'object' && address !== null ? address.port : port);
      });
    });
  }

  close(): Promise<void> {
    for (const session of this.sessions) session.destroy();
    for (const socket of this.sockets) socket.destroy();
    return Promise.all(this.listeners.map((l) => new Promise<void>((resolve) => l.close(() => resolve()))))
      .then(() => undefined);
  }

  private createTlsServer(secure: PeerListenerTls): tls.Server {
    const server = tls.createServer({ ...secure.options, ALPNProtocols: ['h2', RAW_STREAM_ALPN] });
    server.on('tlsClientError', (error, socket) => this.logRejected(socket, error.message));
    server.on('secureConnection', (socket: tls.TLSSocket) => {
      socket.on('error', () => undefined);
      void secure.check(socket).catch((error: Error) => `certificate check failed: ${error.message}`)
        .then((refusal) => {
          if (refusal !== undefined) {
            this.logRejected(socket, refusal);
            socket.destroy();
          } else if (!socket.destroyed) {
            this.route(socket, typeof socket.alpnProtocol === 'string' ? socket.alpnProtocol : undefined);
          }
        });
    });
    return server;
  }

  /**
   * Hands a connection to HTTP/2 or serves it as a raw raft stream, by its first bytes; on TLS they must
   * match the protocol negotiated by ALPN (`alpn`).
   */
  private route(socket: net.Socket, alpn?: string): void {
    let head: Buffer = Buffer.alloc(0);
    const reject = (reason: string): void => {
      socket.off('data', onData);
      this.logRejected(socket, reason);
      socket.destroy();
    };
    const onData = (chunk: Buffer): void => {
      head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
      const protocol = sniffPeerProtocol(head);
      if (protocol === undefined) return;
      if (protocol === 'unknown') return reject('neither HTTP/2 nor a raft stream');
      if (alpn !== undefined && alpn !== (protocol === 'h2' ? 'h2' : RAW_STREAM_ALPN)) {
        return reject(`${protocol === 'h2' ? 'HTTP/2' : 'a raft stream'} on a connection that negotiated ${alpn}`);
      }
      if (protocol === 'h2') {
        socket.off('data', onData);
        socket.setTimeout(0);
        socket.pause();
        // node:http2 replays the socket's buffered bytes when its session starts.
        socket.unshift(head);
        this.server.emit('connection', socket);
        return;
      }
      const newline = head.indexOf(0x0a);
      if (newline > RAW_STREAM_LINE_BYTES_MAX || (newline < 0 && head.length > RAW_STREAM_LINE_BYTES_MAX)) {
        return reject('raft stream preface line too long');
      }
      if (newline < 0) return;
      socket.off('data', onData);
      socket.setTimeout(0);
      this.serveRawStream(socket, head.subarray(0, newline).toString('latin1'), head.subarray(newline + 1));
    };
    socket.setTimeout(this.sniffTimeoutMs, () => reject('no protocol preface in time'));
    socket.on('data', onData);
  }

  /** A raw raft stream: checks the preface, answers OK or ERR, then steps the framed batches it carries. */
  private serveRawStream(socket: net.Socket, line: string, rest: Buffer): void {
    const preface = parsePreface(line);
    const refusal = preface === undefined ? 'malformed raft stream preface' : this.checkPeer(preface);
    if (refusal !== undefined) {
      this.logger.warn({ reason: refusal, from: preface?.from }, 'refused peer request');
      socket.end(encodeAnswer(refusal));
      setTimeout(() => socket.destroy(), REFUSAL_LINGER_MS).unref();
      return;
    }
    const from = preface!.from;
    socket.write(encodeAnswer(undefined));
    const close = (): void => { socket.destroy(); };
    this.trackIncoming(from, close, socket);
    const reader = new FrameReader(this.frameBytesMax);
    const onData = (chunk: Buffer): void => {
      let batches: Message[][];
      try {
        batches = reader.push(chunk);
      } catch (error) {
        this.logger.warn({ error: String(error) }, 'dropping a peer stream with a malformed frame');
        socket.destroy();
        return;
      }
      for (const batch of batches) this.handler.receive(batch);
    };
    socket.on('data', onData);
    if (rest.length > 0) onData(rest);
  }

  private trackIncoming(from: string, close: () => void, closing: { on(event: 'close', listener: () => void): unknown }): void {
    const closers = this.incoming.get(from) ?? new Set<() => void>();
    closers.add(close);
    this.incoming.set(from, closers);
    closing.on('close', () => closers.delete(close));
  }

  private logRejected(socket: net.Socket, reason: string): void {
    this.logger.warn({ 'remote-addr': `${socket.remoteAddress}:${socket.remotePort}`, error: reason },
      'rejected connection');
  }

  private onStream(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
    stream.on('error', () => undefined);
    if (headers[':path'] === '/members' && headers[':method'] === 'GET') {
      stream.respond({ ':status': 200, 'content-type': 'application/json',
        'x-tetcd-cluster-id': formatIdHex(this.identity.clusterId) });
      stream.end(this.handler.membersJson());
      return;
    }
    const refusal = this.checkHeaders(headers);
    if (refusal !== undefined) {
      this.logger.warn({ reason: refusal, from: headers['x-tetcd-from'] }, 'refused peer request');
      stream.respond({ ':status': 412, 'x-tetcd-reason': refusal }, { endStream: true });
      return;
    }
    const path = headers[':path'];
    if (path === '/raft/stream') this.serveStream(stream, String(headers['x-tetcd-from']));
    else if (path === '/raft/snapshot') void this.serveSnapshot(stream);
    else if (typeof path === 'string' && path.startsWith('/members/promote/')) void this.servePromote(stream, path);
    else if (path === '/leases/keepalive' || path === '/leases/timetolive') void this.serveLease(stream, path, headers);
    else if (path === '/members/hashkv') void this.serveHashKv(stream, headers);
    else stream.respond({ ':status': 404 }, { endStream: true });
  }

  private checkHeaders(headers: http2.IncomingHttpHeaders): string | undefined {
    return this.checkPeer({ clusterId: String(headers['x-tetcd-cluster-id'] ?? ''),
      from: String(headers['x-tetcd-from'] ?? ''), to: String(headers['x-tetcd-to'] ?? '') });
  }

  /** Why a stream or request from `from` to `to` in `clusterId` is refused; undefined if it is not. */
  private checkPeer({ clusterId, from, to }: RawStreamPreface): string | undefined {
    if (clusterId !== formatIdHex(this.identity.clusterId)) {
      return `cluster ID mismatch (local ${formatIdHex(this.identity.clusterId)}, remote ${clusterId})`;
    }
    if (to !== formatIdHex(this.identity.localId)) return `member ${to} is not this member (${formatIdHex(this.identity.localId)})`;
    if (!/^[0-9a-f]{1,16}$/.test(from)) return 'bad sender id';
    if (this.handler.isRemoved(BigInt(`0x${from}`))) return `member ${from} has been removed from the cluster`;
    return undefined;
  }

  /** Closes the raft streams a (removed) member opened; its reconnect is then refused with the reason. */
  dropIncoming(id: bigint): void {
    const closers = this.incoming.get(formatIdHex(id));
    if (closers === undefined) return;
    for (const close of [...closers]) close();
    this.incoming.delete(formatIdHex(id));
  }

  private serveStream(stream: http2.ServerHttp2Stream, from: string): void {
    stream.respond({ ':status': 200 });
    this.trackIncoming(from, () => stream.close(http2.constants.NGHTTP2_CANCEL), stream);
    const reader = new FrameReader(this.frameBytesMax);
    stream.on('data', (chunk: Buffer) => {
      let batches: Message[][];
      try {
        batches = reader.push(chunk);
      } catch (error) {
        this.logger.warn({ error: String(error) }, 'dropping a peer stream with a malformed frame');
        stream.close(http2.constants.NGHTTP2_PROTOCOL_ERROR);
        return;
      }
      for (const batch of batches) this.handler.receive(batch);
    });
  }

  private async servePromote(stream: http2.ServerHttp2Stream, path: string): Promise<void> {
    const idText = path.slice('/members/promote/'.length);
    try {
      if (!/^[0-9a-f]{1,16}$/.test(idText)) throw new Error(`bad member id ${idText}`);
      await this.handler.promoteMember(BigInt(`0x${idText}`));
      stream.respond({ ':status': 200 }, { endStream: true });
    } catch (error) {
      respondError(stream, error);
    }
  }

  /** A peer's HashKV request (corruption checks): base64 protobuf in a header, base64 protobuf response body. */
  private serveHashKv(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): Promise<void> {
    return serveEncoded(stream, headers['x-tetcd-hashkv-request'], (request) => {
      if (this.handler.serveHashKv === undefined) throw new Error('hashkv is not supported');
      return this.handler.serveHashKv(request);
    });
  }

  /** A follower's forwarded lease request: base64 protobuf in a header, base64 protobuf response body. */
  private serveLease(stream: http2.ServerHttp2Stream, path: string,
    headers: http2.IncomingHttpHeaders): Promise<void> {
    return serveEncoded(stream, headers['x-tetcd-lease-request'], (request) => {
      if (this.handler.serveForwardedLease === undefined) throw new Error('lease forwarding is not supported');
      return this.handler.serveForwardedLease(path === '/leases/keepalive' ? 'keepalive' : 'timetolive', request);
    });
  }

  private async serveSnapshot(stream: http2.ServerHttp2Stream): Promise<void> {
    const reader = new FrameReader(this.frameBytesMax);
    let message: Message | undefined;
    const chunks = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    const rest: Buffer[] = [];
    try {
      while (message === undefined) {
        const next = await chunks.next();
        if (next.done === true) throw new Error('snapshot request ended before its message');
        // Only the first frame is a message: the bytes after it are the database image.
        const batch = reader.pushFirst(next.value);
        if (batch === undefined) continue;
        message = batch[0];
        if (message === undefined) throw new Error('snapshot request carried no message');
        rest.push(...reader.drain());
      }
      const body = (async function* (): AsyncGenerator<Buffer> {
        for (const chunk of rest) yield chunk;
        for (;;) {
          const next = await chunks.next();
          if (next.done === true) return;
          yield next.value;
        }
      })();
      await this.handler.receiveSnapshotDb(message, body);
      this.handler.receive([message]);
      stream.respond({ ':status': 204 }, { endStream: true });
    } catch (error) {
      this.logger.warn({ error: String(error) }, 'failed to receive database snapshot');
      if (!stream.headersSent) stream.respond({ ':status': 500, 'x-tetcd-reason': String(error) }, { endStream: true });
    }
  }
}

/**
 * Answers a request carried as base64 protobuf in a header: 200 with the base64 response, or 409 with the
 * error's code (EtcdError codes travel back to the caller) and message.
 */
async function serveEncoded(stream: http2.ServerHttp2Stream, header: string | string[] | undefined,
  serve: (request: Uint8Array) => Promise<Uint8Array>): Promise<void> {
  try {
    const response = await serve(Buffer.from(String(header ?? ''), 'base64'));
    stream.respond({ ':status': 200 });
    stream.end(Buffer.from(response).toString('base64'));
  } catch (error) {
    respondError(stream, error);
  }
}

/** 409 with the error's code (EtcdError codes travel back to the caller) and message. */
function respondError(stream: http2.ServerHttp2Stream, error: unknown): void {
  const code = (error as { code?: unknown }).code;
  stream.respond({ ':status': 409, 'x-tetcd-error-code': typeof code === 'string' ? code : 'ERR_UNKNOWN',
    'x-tetcd-reason': error instanceof Error ? error.message : String(error) }, { endStream: true });
}
