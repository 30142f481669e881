/**
 * The client port: one TCP listener that serves gRPC (HTTP/2 with prior knowledge, as etcd clients
 * connect) and plain HTTP/1.1 (curl /health, /version) on the same port, like etcd's cmux. The first bytes
 * of a connection decide: the HTTP/2 preface starts with "PRI", anything else is HTTP/1.1. HTTP/2 requests
 * that are not gRPC (e.g. curl --http2-prior-knowledge /health) go to the same HTTP handler.
 */
import * as http from 'node:http';
import * as http2 from 'node:http2';
import * as net from 'node:net';
import { Duplex } from 'node:stream';
import { AuthorityRewriter } from './authority-rewrite.js';
import type { GrpcH2Server } from './grpc-h2-server.js';

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

/** Adapts a plain (non-gRPC) HTTP/2 stream to the request/response shape the endpoints use. */
function plainHttp2Exchange(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): [HttpRequestLike,
  HttpResponseLike] {
  stream.on('error', () => undefined);
  stream.resume();
  let status = 200;
  let responseHeaders: Record<string, string> = {};
  const request: HttpRequestLike = { url: String(headers[':path'] ?? '/'),
    method: String(headers[':method'] ?? 'GET'), headers };
  const response: HttpResponseLike = {
    writeHead: (code, extra) => { status = code; responseHeaders = extra ?? {}; },
    end: (body) => {
      if (stream.destroyed) return;
      stream.respond({ ':status': status, ...responseHeaders });
      stream.end(body ?? '');
    },
  };
  return [request, response];
}

export interface ClientListenerOptions { maxConcurrentStreams: number }

export class ClientListener {
  private readonly tcp: net.Server;
  private readonly h2: http2.Http2Server;
  private readonly h1: http.Server;
  private readonly sockets = new Set<net.Socket>();

  constructor(grpc: GrpcH2Server, httpHandler: HttpHandler, options: ClientListenerOptions) {
    this.h2 = http2.createServer({
      settings: { maxConcurrentStreams: Math.min(options.maxConcurrentStreams, 2 ** 31 - 1) },
      maxSessionMemory: 64,
    });
    // Only the 'stream' event: the compat 'request' API would install its own trailer handling on every
    // stream, including gRPC ones.
    this.h2.on('stream', (stream, headers) => {
      const type = String(headers['content-type'] ?? '');
      if (type.startsWith('application/grpc')) grpc.handleStream(stream, headers);
      else httpHandler(...plainHttp2Exchange(stream, headers));
    });
    this.h2.on('sessionError', () => undefined);
    this.h1 = http.createServer((request, response) => httpHandler(request, response));
    this.tcp = net.createServer((socket) => this.route(socket));
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
      const timer = setTimeout(() => { for (const socket of this.sockets) socket.destroy(); }, graceMs);
      timer.unref();
      if (this.sockets.size === 0) clearTimeout(timer);
      for (const socket of this.sockets) socket.end();
    });
  }

  private route(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.setNoDelay(true);
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      if (head.length < 3) return;
      socket.off('data', onData);
      socket.pause();
      if (head.subarray(0, 3).toString('latin1') === 'PRI') {
        // nghttp2 reads sockets through their native handle, so bytes already read in JS cannot be given
        // back: it gets a stream that replays them, then relays the socket.
        this.h2.emit('connection', replayingStream(socket, head));
        return;
      }
      socket.unshift(head);
      this.h1.emit('connection', socket);
      socket.resume();
    };
    socket.on('data', onData);
  }
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
