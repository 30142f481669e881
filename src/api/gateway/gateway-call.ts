/**
 * The call object a gRPC handler sees when the JSON gateway invokes it: the same surface as H2Call
 * (request, metadata, cancelled, write/end, pause/resume, emit('error', status), events 'data', 'end',
 * 'cancelled', 'close', 'drain'), backed by an HTTP response instead of an HTTP/2 gRPC stream.
 */
import { EventEmitter } from 'node:events';
import * as grpc from '@grpc/grpc-js';
import { GrpcStatus } from '../../base/errors.js';
import type { StatusLike } from '../h2/calls.js';

/** Where the call's output goes. */
export interface GatewaySink {
  /** Writes one response message; false when the client is slow ('drain' follows). */
  message(value: object): boolean;
  /** Ends the exchange with a status (OK or an error). Called at most once. */
  finish(status: StatusLike): void;
}

export class GatewayCall extends EventEmitter {
  request: unknown = undefined;
  cancelled = false;
  destroyed = false;
  private finished = false;

  constructor(readonly metadata: grpc.Metadata, private readonly sink: GatewaySink, private readonly peer: string) {
    super();
  }

  getPeer(): string {
    return this.peer;
  }

  write(message: unknown): boolean {
    if (this.finished || this.destroyed) return false;
    return this.sink.message(message as object);
  }

  end(): void {
    this.finish({ code: GrpcStatus.OK });
  }

  pause(): this {
    return this;
  }

  resume(): this {
    return this;
  }

  /** `emit('error', status)` ends the call with that status, as on H2Call; other events pass through. */
  override emit(event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'error') {
      this.finish((args[0] ?? {}) as StatusLike);
      return this.listenerCount('error') > 0 ? super.emit('error', ...args) : false;
    }
    return super.emit(event, ...args);
  }

  /** Internal: a decoded request message from the body. */
  deliver(request: unknown): void {
    super.emit('data', request);
  }

  /** Internal: the HTTP client went away before the call finished. */
  clientClosed(): void {
    this.destroyed = true;
    if (!this.finished) {
      this.finished = true;
      this.cancelled = true;
      super.emit('cancelled');
    }
    super.emit('close');
  }

  /** Internal: the HTTP response can take more data. */
  drained(): void {
    super.emit('drain');
  }

  private finish(status: StatusLike): void {
    if (this.finished) return;
    this.finished = true;
    this.sink.finish(status);
  }
}
