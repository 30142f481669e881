/**
 * gRPC streams as async iterables: a bidirectional stream (Watch, LeaseKeepAlive) with send/end/
 * cancel, and a server stream (Snapshot, Observe) with cancel. Iteration ends when the server ends
 * the stream; a failure (including cancel()) is thrown from the iteration as EtcdClientError.
 */
import type * as grpc from '@grpc/grpc-js';
import type { Channel } from './channel-pool.js';
import { toClientError } from './errors.js';
import type { Rpc } from './rpcs.js';

/** A bidirectional stream. Iterate it once for the responses. */
export interface BidiStream<Req, Res> extends AsyncIterable<Res> {
  /** `host:port` the stream is open to. */
  readonly endpoint: string;
  /** Sends one request (partial: protobuf defaults for the rest). Throws AssertionError on bad fields. */
  send(request: Partial<Req>): void;
  /** Half-closes: no more requests; responses keep coming until the server ends. */
  end(): void;
  /** Cancels the stream: iteration then throws EtcdClientError (Cancelled). Idempotent. */
  cancel(): void;
}

/** A server stream. Iterate it once for the responses. */
export interface ServerStream<Res> extends AsyncIterable<Res> {
  readonly endpoint: string;
  /** Cancels the stream: iteration then throws EtcdClientError (Cancelled). Idempotent. */
  cancel(): void;
}

function encode<Req>(rpc: Rpc<Req, unknown>, init: Partial<Req>): Buffer {
  const bytes = rpc.request.encode(rpc.request.create(init));
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

async function* responses<Res>(source: AsyncIterable<unknown>, method: string, endpoint: string,
  onError: (error: ReturnType<typeof toClientError>) => void): AsyncGenerator<Res> {
  try {
    for await (const item of source) yield item as Res;
  } catch (error) {
    const clientError = toClientError(error, method, endpoint);
    onError(clientError);
    throw clientError;
  }
}

/** Opens a bidirectional stream on `channel`. `onError` sees the failure before the iterator throws it. */
export function openBidi<Req, Res>(channel: Channel, rpc: Rpc<Req, Res>, metadata: grpc.Metadata,
  onError: (error: ReturnType<typeof toClientError>) => void): BidiStream<Req, Res> {
  const call = channel.client.makeBidiStreamRequest<Buffer, Res>(rpc.path, (b) => b,
    (bytes) => rpc.response.decode(bytes), metadata, {});
  call.on('error', () => { /* reported through the iterator */ });
  const endpoint = channel.endpoint.address;
  return {
    endpoint,
    send: (request) => { call.write(encode(rpc, request)); },
    end: () => { call.end(); },
    cancel: () => { call.cancel(); },
    [Symbol.asyncIterator]: () => responses<Res>(call, rpc.path, endpoint, onError),
  };
}

/** Opens a server stream on `channel` with one request. */
export function openServerStream<Req, Res>(channel: Channel, rpc: Rpc<Req, Res>, request: Partial<Req>,
  metadata: grpc.Metadata, onError: (error: ReturnType<typeof toClientError>) => void): ServerStream<Res> {
  const call = channel.client.makeServerStreamRequest<Buffer, Res>(rpc.path, (b) => b,
    (bytes) => rpc.response.decode(bytes), encode(rpc, request), metadata, {});
  call.on('error', () => { /* reported through the iterator */ });
  const endpoint = channel.endpoint.address;
  return {
    endpoint,
    cancel: () => { call.cancel(); },
    [Symbol.asyncIterator]: () => responses<Res>(call, rpc.path, endpoint, onError),
  };
}
