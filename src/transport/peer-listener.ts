/**
 * The incoming half: an HTTP/2 server on --listen-peer-urls. `POST /raft/stream` carries framed message
 * batches from one peer; `POST /raft/snapshot` carries one MsgSnap frame followed by the backend image.
 * Every request names cluster, sender and receiver; a wrong cluster id, a removed sender or a request
 * meant for another member is refused with 412 and a reason (etcd refuses such peers the same way).
 *
 * Each listen URL gets its own TCP or TLS server feeding the one HTTP/2 server. With TLS (an https://
 * peer URL) the handshake verifies the client certificate when --peer-client-cert-auth is on, then
 * etcd's post-handshake checks run (CRL, allowed CN / hostname, client-cert SAN vs remote address)
 * before any HTTP/2 byte is read: a process without an acceptable certificate reaches no handler.
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

export interface ListenerIdentity { localId: bigint; clusterId: bigint }

/** TLS for the peer port: server options and the post-handshake certificate checks. */
export interface PeerListenerTls { options: tls.TlsOptions; check: PeerCertificateCheck }

export class PeerListener {
  private readonly server: http2.Http2Server;
  private readonly listeners: Array<net.Server | tls.Server> = [];
  private readonly sockets = new Set<net.Socket>();
  private readonly sessions = new Set<http2.ServerHttp2Session>();
  /** Open incoming raft streams by sender id (hex), so a removed member's streams can be closed. */
  private readonly incoming = new Map<string, Set<http2.ServerHttp2Stream>>();

  constructor(
    private readonly identity: ListenerIdentity,
    private readonly handler: TransportHandler,
    private readonly logger: Logger,
    private readonly frameBytesMax: number,
    private readonly tlsConfig?: PeerListenerTls,
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
      this.server.emit('connection', socket);
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
    const server = tls.createServer({ ...secure.options, ALPNProtocols: ['h2'] });
    server.on('tlsClientError', (error, socket) => this.logRejected(socket, error.message));
    server.on('secureConnection', (socket: tls.TLSSocket) => {
      socket.on('error', () => undefined);
      void secure.check(socket).catch((error: Error) => `certificate check failed: ${error.message}`)
        .then((refusal) => {
          if (refusal !== undefined) {
            this.logRejected(socket, refusal);
            socket.destroy();
          } else if (!socket.destroyed) {
            this.server.emit('connection', socket);
          }
        });
    });
    return server;
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
    const clusterId = String(headers['x-tetcd-cluster-id'] ?? '');
    const from = String(headers['x-tetcd-from'] ?? '');
    const to = String(headers['x-tetcd-to'] ?? '');
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
    const streams = this.incoming.get(formatIdHex(id));
    if (streams === undefined) return;
    for (const stream of streams) stream.close(http2.constants.NGHTTP2_CANCEL);
    this.incoming.delete(formatIdHex(id));
  }

  private serveStream(stream: http2.ServerHttp2Stream, from: string): void {
    stream.respond({ ':status': 200 });
    const streams = this.incoming.get(from) ?? new Set<http2.ServerHttp2Stream>();
    streams.add(stream);
    this.incoming.set(from, streams);
    stream.on('close', () => streams.delete(stream));
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
