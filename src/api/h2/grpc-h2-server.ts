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

type AnyHandler = (call: H2Call, callback?: (error: StatusLike | null, value?: unknown) => void) => void;

interface Route { method: grpc.MethodDefinition<unknown, unknown>; handler: AnyHandler | undefined }

export class GrpcH2Server {
  private readonly routes = new Map<string, Route>();

  constructor(private readonly maxReceiveBytes: number) {}

  /** Registers a service; methods without a handler answer Unimplemented. */
  addService(definition: grpc.ServiceDefinition, implementation: grpc.UntypedServiceImplementation): void {
    for (const [key, method] of Object.entries(definition)) {
      this.routes.set(method.path, { method, handler: implementation[key] as AnyHandler | undefined });
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
    const { method, handler } = route;
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

  private serveSingleRequest(stream: http2.ServerHttp2Stream, reader: MessageReader, call: H2Call,
    method: grpc.MethodDefinition<unknown, unknown>, handler: AnyHandler, fail: (error: unknown) => void): void {
    let request: Buffer | undefined;
    let failed = false;
    stream.on('data', (chunk: Buffer) => {
      if (failed) return;
      try {
        const messages = reader.push(chunk);
        if (messages.length > 0 && request === undefined) request = messages[0];
      } catch (error) {
        failed = true;
        fail(error);
      }
    });
    stream.on('end', () => {
      if (failed) return;
      if (request === undefined) {
        fail(new GrpcCallError(GrpcStatus.INTERNAL, 'grpc: request message missing'));
        return;
      }
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
    });
  }
}
