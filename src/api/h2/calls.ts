/**
 * Server-side call objects with the surface etcd's handlers use (the subset of grpc-js's
 * ServerUnaryCall / ServerDuplexStream): `request`, `metadata`, `cancelled`, `write()` returning false when
 * the peer is slow (then 'drain'), `end()`, `pause()`/`resume()`, events 'data', 'end', 'cancelled',
 * 'close', and `emit('error', {code, details})` to finish the call with that status.
 */
import { EventEmitter } from 'node:events';
import type * as http2 from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import { GrpcStatus } from '../../base/errors.js';
import { encodeGrpcMessage, frameMessage } from './framing.js';

export interface StatusLike { code?: number | undefined; details?: string | undefined; message?: string | undefined }

/** The HTTP/2 half of a call: headers once, framed messages, then trailers with the status. */
export class CallTransport {
  private headersSent = false;
  finished = false;

  constructor(readonly stream: http2.ServerHttp2Stream) {}

  sendMessage(payload: Uint8Array): boolean {
    if (this.finished || this.stream.destroyed) return false;
    this.sendHeaders();
    return this.stream.write(frameMessage(payload));
  }

  finish(status: StatusLike): void {
    if (this.finished) return;
    this.finished = true;
    if (this.stream.destroyed || this.stream.closed) return;
    const code = status.code ?? GrpcStatus.UNKNOWN;
    const trailers: http2.OutgoingHttpHeaders = { 'grpc-status': String(code) };
    const message = status.details ?? status.message ?? '';
    if (code !== GrpcStatus.OK && message !== '') trailers['grpc-message'] = encodeGrpcMessage(message);
    if (!this.headersSent) {
      this.headersSent = true;
      this.stream.respond({ ':status': 200, 'content-type': 'application/grpc', ...trailers }, { endStream: true });
      return;
    }
    // With waitForTrailers, ending the stream emits 'wantTrailers', the only time trailers may be sent.
    this.stream.once('wantTrailers', () => this.stream.sendTrailers(trailers));
    this.stream.end();
  }

  private sendHeaders(): void {
    if (this.headersSent) return;
    this.headersSent = true;
    this.stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
  }
}

export class H2Call extends EventEmitter {
  request: unknown = undefined;
  cancelled = false;
  destroyed = false;

  constructor(
    readonly metadata: grpc.Metadata,
    private readonly transport: CallTransport,
    private readonly serialize: (value: unknown) => Uint8Array,
  ) {
    super();
    transport.stream.on('close', () => {
      this.destroyed = true;
      if (!this.transport.finished) {
        this.cancelled = true;
        this.transport.finished = true;
        super.emit('cancelled');
      }
      super.emit('close');
    });
    transport.stream.on('drain', () => super.emit('drain'));
  }

  getPeer(): string {
    const socket = this.transport.stream.session?.socket;
    return socket === undefined ? 'unknown' : `${socket.remoteAddress}:${socket.remotePort}`;
  }

  write(message: unknown): boolean {
    return this.transport.sendMessage(this.serialize(message));
  }

  end(): void {
    this.transport.finish({ code: GrpcStatus.OK });
  }

  pause(): this {
    this.transport.stream.pause();
    return this;
  }

  resume(): this {
    this.transport.stream.resume();
    return this;
  }

  /** `emit('error', status)` ends the call with that status (grpc-js convention); other events pass through. */
  override emit(event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'error') {
      this.transport.finish((args[0] ?? {}) as StatusLike);
      return this.listenerCount('error') > 0 ? super.emit('error', ...args) : false;
    }
    return super.emit(event, ...args);
  }

  /** Internal: delivers a decoded request to 'data' listeners. */
  deliver(request: unknown): void {
    super.emit('data', request);
  }
}

/** Builds grpc-js Metadata from request headers (pseudo and transport headers excluded). */
export function metadataFromHeaders(headers: http2.IncomingHttpHeaders): grpc.Metadata {
  const metadata = new grpc.Metadata();
  for (const [key, value] of Object.entries(headers)) {
    if (key.startsWith(':') || key.startsWith('grpc-') || key === 'content-type' || key === 'te' || key === 'user-agent') continue;
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) {
      if (key.endsWith('-bin')) metadata.add(key, Buffer.from(item, 'base64'));
      else metadata.add(key, item);
    }
  }
  return metadata;
}
