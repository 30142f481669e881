/**
 * The client port: one TCP listener that serves gRPC (HTTP/2 with prior knowledge, as etcd clients
 * connect) and plain HTTP/1.1 (curl /health, /version) on the same port, like etcd's cmux. The first bytes
 * of a connection decide: the HTTP/2 preface starts with "PRI", anything else is HTTP/1.1. HTTP/2 requests
 * that are not gRPC (e.g. curl --http2-prior-knowledge /health) go to the same HTTP handler.
 *
 * With TLS (an https:// listen URL) the listener is a TLS server offering ALPN h2 and http/1.1; after the
 * handshake and etcd's post-handshake checks (CRL, allowed CN/hostname) the decrypted stream is routed the
 * same way, and a verified client certificate is registered for the connection (see peer-identity.ts).
 *
 * HTTP/2 connections are handed to nghttp2 as the raw socket when h2-handoff.ts finds the client's
 * :authority acceptable (no JS copy of any byte after that); others go through the rewriting relay.
 */
import * as http from 'node:http';
import * as http2 from 'node:http2';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { Duplex } from 'node:stream';
import { AuthorityRewriter } from './authority-rewrite.js';
import { H2Sniffer, SERVER_SETTINGS_EMPTY } from './h2-handoff.js';
import type { GrpcH2Server } from './grpc-h2-server.js';
import { PEER_CERTIFICATE, peerKey } from './peer-identity.js';
import type { PeerCertificateCheck } from '../../platform/tls-config.js';

/** The parts of a request/response pair the HTTP endpoints use (HTTP/1.1 objects or the adapter below). */
export interface HttpRequestLike {
  url?: string | undefined;
  method?: string | undefined;
  headers: http.IncomingHttpHeaders;
}
export interface HttpResponseLike {
  writeHead(status: number, headers?: Record<string, string>): unknown;
  end(body?: string): unknown;
}
export type HttpHandler = (request: HttpRequestLike, response: HttpResponseLike) => void;
/**
 * Routes open to TLS clients without a verified certificate (the HA bootstrap endpoint, src/ha): serves the
 * request and returns true, or returns false when the path is not its own. `verifiedClientCert` tells
 * whether the connection presented a certificate the client CA verified.
 */
export type CertlessHttpHandler = (request: HttpRequestLike, response: HttpResponseLike,
  verifiedClientCert: boolean) => boolean;

/**
 * Adapts a plain (non-gRPC) HTTP/2 stream to the request/response shape the endpoints use, including the
 * readable/writable parts the JSON gateway needs (request body, streamed responses, close), so `/v3/...`
 * works over h2c and h2 as over HTTP/1.1. A request body nobody reads is drained.
 */
function plainHttp2Exchange(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): [HttpRequestLike,
  HttpResponseLike] {
  stream.on('error', () => undefined);
  let status = 200;
  let responseHeaders: Record<string, string> = {};
  let headersSent = false;
  const sendHeaders = (): void => {
    if (headersSent || stream.destroyed) return;
    headersSent = true;
    stream.respond({ ':status': status, ...responseHeaders });
  };
  const request = {
    url: String(headers[':path'] ?? '/'), method: String(headers[':method'] ?? 'GET'), headers,
    socket: stream.session?.socket,
    on(event: string, listener: (...args: unknown[]) => void) { stream.on(event, listener); return request; },
    setEncoding(encoding: BufferEncoding) { stream.setEncoding(encoding); return request; },
  };
  const response = {
    get headersSent(): boolean { return headersSent; },
    writeHead(code: number, extra?: Record<string, string>) {
      status = code;
      responseHeaders = extra ?? {};
      return response;
    },
    write(chunk: string | Uint8Array): boolean {
      sendHeaders();
      return stream.destroyed ? false : stream.write(chunk);
    },
    end(body?: string) {
      if (stream.destroyed) return response;
      sendHeaders();
      stream.end(body ?? '');
      return response;
    },
    on(event: string, listener: (...args: unknown[]) => void) { stream.on(event, listener); return response; },
    once(event: string, listener: (...args: unknown[]) => void) { stream.once(event, listener); return response; },
  };
  // The handler runs right after this returns; one that did not start reading the body gets it drained.
  setImmediate(() => { if (stream.listenerCount('data') === 0) stream.resume(); });
  return [request as HttpRequestLike, response];
}

/** gRPC status UNAUTHENTICATED (a call without a verified client certificate when one is required). */
const GRPC_UNAUTHENTICATED = 16;

/** TLS for the client port: server options (certs, CA, client-cert auth) and the post-handshake checks. */
export interface ClientListenerTls {
  options: tls.TlsOptions;
  check: PeerCertificateCheck;
  /** Called with the reason when a connection is refused (handshake error or failed check). */
  onRejected?: (remote: string, reason: string) => void;
  /**
   * With client-certificate auth on, lets clients without a (valid) certificate finish the handshake, but
   * only to reach these HTTP/1.1 routes: any other route answers 401 and gRPC connections are closed.
   * Connections with a verified certificate get these routes first, then everything else.
   */
  certlessHttp?: CertlessHttpHandler | undefined;
}

export interface ClientListenerOptions { maxConcurrentStreams: number; tls?: ClientListenerTls | undefined }

export class ClientListener {
  private readonly tcp: net.Server | tls.Server;
  private readonly h2: http2.Http2Server;
  private readonly h1: http.Server;
  /** HTTP/1.1 for connections without a verified certificate when one is required (certless routes only). */
  private readonly h1Certless: http.Server;
  /** HTTP/2 for the same connections: certless routes, 401 otherwise, gRPC refused (UNAUTHENTICATED). */
  private readonly h2Certless: http2.Http2Server;
  private certRequired = false;
  private readonly sockets = new Set<net.Socket>();
  private connectingPeer: { peername: { address: string | undefined; port: number | undefined;
    family: string | undefined }; certificate: tls.PeerCertificate | null; } | undefined;

  constructor(grpc: GrpcH2Server, httpHandler: HttpHandler, options: ClientListenerOptions) {
    this.h2 = http2.createServer({
      settings: { maxConcurrentStreams: Math.min(options.maxConcurrentStreams, 2 ** 31 - 1) },
      maxSessionMemory: 64,
    });
    // Only the 'stream' event: the compat 'request' API would install its own trailer handling on every
    // stream, including gRPC ones.
    const certless = options.tls?.certlessHttp;
    this.h2.on('stream', (stream, headers) => {
      const type = String(headers['content-type'] ?? '');
      if (type.startsWith('application/grpc')) {
        grpc.handleStream(stream, headers);
        return;
      }
      const [request, response] = plainHttp2Exchange(stream, headers);
      if (certless === undefined || !certless(request, response, false)) httpHandler(request, response);
    });
    this.h2.on('sessionError', () => undefined);
    // node:http2 wraps the replaying stream in an internal socket that knows no peer address; give it the
    // real one so H2Call.getPeer() sees "address:port", and attach the verified client certificate (null
    // when none) for peer-identity.ts. The session is created synchronously inside emit('connection'),
    // while `connectingPeer` is set.
    this.h2.on('session', (session) => {
      const peer = this.connectingPeer;
      if (peer === undefined) return;
      const socket = session.socket as unknown as { _peername: unknown; [PEER_CERTIFICATE]: unknown };
      socket._peername = peer.peername;
      socket[PEER_CERTIFICATE] = peer.certificate;
    });
    this.h1 = http.createServer((request, response) => {
      const verified = (request.socket as Partial<tls.TLSSocket>).authorized === true;
      if (certless === undefined || !certless(request, response, verified)) httpHandler(request, response);
    });
    this.h1Certless = http.createServer((request, response) => {
      if (certless !== undefined && certless(request, response, false)) return;
      response.writeHead(401, { 'content-type': 'text/plain; charset=utf-8' });
      response.end('client certificate required\n');
    });
    this.h2Certless = http2.createServer({ maxSessionMemory: 64 });
    this.h2Certless.on('sessionError', () => undefined);
    this.h2Certless.on('stream', (stream, headers) => {
      stream.on('error', () => undefined);
      if (String(headers['content-type'] ?? '').startsWith('application/grpc')) {
        stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': String(GRPC_UNAUTHENTICATED),
          'grpc-message': 'client certificate required' }, { endStream: true });
        return;
      }
      const [request, response] = plainHttp2Exchange(stream, headers);
      if (certless !== undefined && certless(request, response, false)) return;
      response.writeHead(401, { 'content-type': 'text/plain; charset=utf-8' });
      response.end('client certificate required\n');
    });
    const secure = options.tls;
    if (secure === undefined) {
      this.tcp = net.createServer((socket) => this.route(socket));
      return;
    }
    // Client-cert auth with certless routes: the handshake accepts any client, acceptTls() sorts them.
    this.certRequired = secure.options.rejectUnauthorized === true && certless !== undefined;
    const server = tls.createServer({ ...secure.options, ALPNProtocols: ['h2', 'http/1.1'],
      ...(this.certRequired ? { requestCert: true, rejectUnauthorized: false } : {}) });
    server.on('connection', (socket: net.Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    server.on('secureConnection', (socket: tls.TLSSocket) => void this.acceptTls(socket, secure));
    server.on('tlsClientError', (error, socket) => {
      secure.onRejected?.(peerKey(socket.remoteAddress, socket.remotePort), error.message);
    });
    this.tcp = server;
  }

  /** Runs the post-handshake checks, records the verified client certificate, then routes. */
  private async acceptTls(socket: tls.TLSSocket, secure: ClientListenerTls): Promise<void> {
    socket.on('error', () => undefined);
    const remote = peerKey(socket.remoteAddress, socket.remotePort);
    let refusal: string | undefined;
    try {
      refusal = await secure.check(socket);
    } catch (error) {
      refusal = `certificate check failed: ${(error as Error).message}`;
    }
    if (refusal !== undefined) {
      secure.onRejected?.(remote, refusal);
      socket.destroy();
      return;
    }
    if (socket.destroyed) return;
    const cert = socket.authorized ? socket.getPeerCertificate() : undefined;
    const verified = cert !== undefined && cert.raw !== undefined;
    this.route(socket, verified ? cert : null, this.certRequired && !verified);
  }

  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.tcp.once('error', reject);
      this.tcp.listen(port, host, () => {
        this.tcp.off('error', reject);
        const address = this.tcp.address();
        resolve(typeof address === 'object' && address !== null ? address.port : port);
      });
    });
  }

  /** Stops accepting; closes idle connections; destroys the rest after `graceMs`. */
  close(graceMs = 1000): Promise<void> {
    return new Promise((resolve) => {
      this.tcp.close(() => resolve());
      this.h1.closeIdleConnections();
      this.h1Certless.closeIdleConnections();
      const timer = setTimeout(() => { for (const socket of this.sockets) socket.destroy(); }, graceMs);
      timer.unref();
      if (this.sockets.size === 0) clearTimeout(timer);
      for (const socket of this.sockets) socket.end();
    });
  }

  /** Sends a connection to HTTP/2 or HTTP/1.1; `certificate` is its verified client certificate. */
  private route(socket: net.Socket | tls.TLSSocket, certificate: tls.PeerCertificate | null = null,
    certless = false): void {
    const [h1, h2] = certless ? [this.h1Certless, this.h2Certless] : [this.h1, this.h2];
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.setNoDelay(true);
    let head = Buffer.alloc(0);
    let sniffer: H2Sniffer | undefined;
    const detach = (): void => {
      socket.off('data', onData);
      socket.pause();
    };
    const onData = (chunk: Buffer): void => {
      if (sniffer !== undefined) {
        const verdict = sniffer.push(chunk);
        if (verdict === undefined) return;
        detach();
        this.serveH2(h2, socket, verdict.path, verdict.bytes, certificate);
        return;
      }
      head = Buffer.concat([head, chunk]);
      if (head.length < 3) return;
      if (head.subarray(0, 3).toString('latin1') === 'PRI') {
        if (!nativeH2Capable(socket)) {
          detach();
          this.serveH2(h2, socket, 'relay', head, certificate);
          return;
        }
        sniffer = new H2Sniffer();
        socket.write(SERVER_SETTINGS_EMPTY);
        onData(head);
        return;
      }
      detach();
      socket.unshift(head);
      h1.emit('connection', socket);
      socket.resume();
    };
    socket.on('data', onData);
  }

  /**
   * Gives an HTTP/2 connection to nghttp2: 'native' hands over the socket itself (nghttp2 reads it
   * through its handle; the bytes read while sniffing are unshifted, and node:http2 replays a socket's
   * buffered bytes on session start); 'relay' wraps it in the authority-rewriting relay.
   */
  private serveH2(h2: http2.Http2Server, socket: net.Socket, path: 'native' | 'relay', bytes: Buffer,
    certificate: tls.PeerCertificate | null): void {
    if (path === 'native') {
      (socket as unknown as { [PEER_CERTIFICATE]: unknown })[PEER_CERTIFICATE] = certificate;
      socket.unshift(bytes);
      h2.emit('connection', socket);
      return;
    }
    // nghttp2 cannot read bytes rewritten in JS through the socket's handle: it gets a stream that
    // relays the socket through the rewriter.
    this.connectingPeer = { certificate,
      peername: { address: socket.remoteAddress, port: socket.remotePort, family: socket.remoteFamily } };
    try {
      h2.emit('connection', replayingStream(socket, bytes));
    } finally {
      this.connectingPeer = undefined;
    }
  }
}

/**
 * Whether nghttp2 may take the socket itself: plain TCP, or TLS that negotiated h2 by ALPN (node:http2
 * refuses a TLS socket without it). TETCD_H2_NATIVE=0 forces the relay (for A/B measurements).
 */
function nativeH2Capable(socket: net.Socket): boolean {
  if (process.env['TETCD_H2_NATIVE'] === '0') return false;
  return !(socket instanceof tls.TLSSocket) || socket.alpnProtocol === 'h2';
}

/** A duplex over `socket` whose readable side starts with `head` (bytes read while sniffing). */
function replayingStream(socket: net.Socket, head: Buffer): Duplex {
  const duplex = new Duplex({
    read: () => { socket.resume(); },
    write: (chunk: Buffer, _encoding, callback) => { socket.write(chunk, callback); },
    final: (callback) => { socket.end(); callback(); },
    destroy: (error, callback) => { socket.destroy(error ?? undefined); callback(error); },
  });
  const rewriter = new AuthorityRewriter();
  const forward = (chunk: Buffer): boolean => {
    let bytes: Buffer;
    try {
      bytes = rewriter.push(chunk);
    } catch {
      socket.destroy();
      return false;
    }
    return bytes.length === 0 || duplex.push(bytes);
  };
  forward(head);
  socket.on('data', (chunk: Buffer) => { if (!forward(chunk)) socket.pause(); });
  socket.on('end', () => duplex.push(null));
  socket.on('close', () => duplex.destroy());
  socket.on('error', (error) => duplex.destroy(error));
  socket.resume();
  return duplex;
}
