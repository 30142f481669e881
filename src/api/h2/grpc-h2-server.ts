/**
 * A gRPC server on node:http2, serving grpc-js ServiceDefinitions with grpc-js-style handlers (unary,
 * server-streaming and bidi). It shares the client port with HTTP/1.1 (see client-listener.ts), which
 * grpc-js cannot, and answers oversized messages with grpc-go's wording as etcd does.
 */
import type * as http2 from 'node:http2';
import type * as grpc from '@grpc/grpc-js';
import { GrpcStatus } from '../../base/errors.js';
import { CallTransport, H2Call, metadataFromHeaders, type StatusLike } from './calls.js';
import { GrpcCallError, MessageReader } from './framing.js';
import type { GrpcMetricsHooks, GrpcType } from '../../metrics/hooks.js';

type AnyHandler = (call: H2Call, callback?: (error: StatusLike | null, value?: unknown) => void) => void;

/** Length-prefixed message header of the gRPC wire format (flag + 4-byte length). */
const GRPC_FRAME_HEADER_BYTES = 5;

interface Route { method: grpc.MethodDefinition<unknown, unknown>; handler: AnyHandler | undefined }

/** The handler registered for a gRPC path, for in-process callers (the JSON gateway). */
export type RegisteredRoute = Route;

function grpcType(method: grpc.MethodDefinition<unknown, unknown>): GrpcType {
  if (method.requestStream) return method.responseStream ? 'bidi_stream' : 'client_stream';
  return method.responseStream ? 'server_stream' : 'unary';
}

/** `/etcdserverpb.KV/Range` → ['etcdserverpb.KV', 'Range']. */
function splitPath(path: string): [string, string] {
  const slash = path.lastIndexOf('/');
  return [path.slice(1, slash), path.slice(slash + 1)];
}

export class GrpcH2Server {
  private readonly routes = new Map<string, Route>();

  constructor(private readonly maxReceiveBytes: number, private readonly metrics?: GrpcMetricsHooks) {}

  /** The route registered for `path` (`/etcdserverpb.KV/Range`), undefined if none. */
  route(path: string): RegisteredRoute | undefined {
    return this.routes.get(path);
  }

  /** Registers a service; methods without a handler answer Unimplemented. */
  addService(definition: grpc.ServiceDefinition, implementation: grpc.UntypedServiceImplementation): void {
    for (const [key, method] of Object.entries(definition)) {
      this.routes.set(method.path, { method, handler: implementation[key] as AnyHandler | undefined });
      this.metrics?.methodRegistered(...splitPath(method.path), grpcType(method));
    }
  }

  handles(path: string | undefined): boolean {
    return path !== undefined && this.routes.has(path);
  }

  /** Serves one HTTP/2 stream whose content-type is application/grpc. */
  handleStream(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
    const transport = new CallTransport(stream);
    stream.on('error', () => undefined);
    const route = this.routes.get(String(headers[':path']));
    if (route === undefined || route.handler === undefined) {
      transport.finish({ code: GrpcStatus.UNIMPLEMENTED, details: `unknown method ${String(headers[':path'])}` });
      stream.resume();
      return;
    }
    const { handler } = route;
    const method = this.metrics === undefined ? route.method : this.instrument(stream, transport, route.method);
    const call = new H2Call(metadataFromHeaders(headers), transport, (value) => method.responseSerialize(value));
    const reader = new MessageReader(this.maxReceiveBytes);
    const fail = (error: unknown): void => {
      const status = error instanceof GrpcCallError ? { code: error.code, details: error.message }
        : { code: GrpcStatus.INTERNAL, details: `grpc: error unmarshalling request: ${(error as Error).message}` };
      transport.finish(status);
      stream.close();
    };
    if (!method.requestStream) {
      this.serveSingleRequest(stream, reader, call, method, handler, fail);
      return;
    }
    stream.on('data', (chunk: Buffer) => {
      try {
        for (const bytes of reader.push(chunk)) call.deliver(method.requestDeserialize(bytes));
      } catch (error) {
        fail(error);
      }
    });
    stream.on('end', () => call.emit('end'));
    handler(call);
  }

  /** go-grpc-prometheus counters and etcd's client byte counters for one call. */
  private instrument(stream: http2.ServerHttp2Stream, transport: CallTransport,
    method: grpc.MethodDefinition<unknown, unknown>): grpc.MethodDefinition<unknown, unknown> {
    const metrics = this.metrics!;
    const [service, name] = splitPath(method.path);
    const type = grpcType(method);
    const startedMs = performance.now();
    metrics.started(service, name, type);
    stream.on('data', (chunk: Buffer) => metrics.receivedBytes(chunk.length));
    const send = transport.sendMessage.bind(transport);
    transport.sendMessage = (payload) => {
      metrics.sentBytes(payload.length + GRPC_FRAME_HEADER_BYTES);
      metrics.messageSent(service, name, type);
      return send(payload);
    };
    const finish = transport.finish.bind(transport);
    transport.finish = (status) => {
      if (!transport.finished) {
        metrics.handled(service, name, type, status.code ?? GrpcStatus.UNKNOWN, performance.now() - startedMs);
      }
      finish(status);
    };
    // A call the client cancels never reaches finish(): count it as Canceled, as grpc-go reports it.
    stream.once('close', () => {
      if (transport.finished) return;
      metrics.handled(service, name, type, GrpcStatus.CANCELLED, performance.now() - startedMs);
    });
    const deserialize = method.requestDeserialize;
    return { ...method, requestDeserialize: (bytes: Buffer) => {
      metrics.messageReceived(service, name, type);
      return deserialize(bytes);
    } };
  }

  /**
   * Unary and server-streaming calls: the handler runs as soon as the request message is complete, without
   * waiting for the client's END_STREAM (one event-loop turn later), as grpc-go does; later messages are
   * ignored.
   */
  private serveSingleRequest(stream: http2.ServerHttp2Stream, reader: MessageReader, call: H2Call,
    method: grpc.MethodDefinition<unknown, unknown>, handler: AnyHandler, fail: (error: unknown) => void): void {
    let dispatched = false;
    let failed = false;
    stream.on('data', (chunk: Buffer) => {
      if (failed || dispatched) return;
      let messages: Buffer[];
      try {
        messages = reader.push(chunk);
      } catch (error) {
        failed = true;
        fail(error);
        return;
      }
      if (messages.length === 0) return;
      dispatched = true;
      this.dispatch(call, method, handler, messages[0]!, fail);
    });
    stream.on('end', () => {
      if (failed || dispatched) return;
      fail(new GrpcCallError(GrpcStatus.INTERNAL, 'grpc: request message missing'));
    });
  }

  private dispatch(call: H2Call, method: grpc.MethodDefinition<unknown, unknown>, handler: AnyHandler,
    request: Buffer, fail: (error: unknown) => void): void {
    try {
      call.request = method.requestDeserialize(request);
    } catch (error) {
      fail(error);
      return;
    }
    if (method.responseStream) {
      handler(call);
      return;
    }
    handler(call, (error, value) => {
      if (error !== null && error !== undefined) {
        call.emit('error', error);
        return;
      }
      call.write(value);
      call.end();
    });
  }
}
