/**
 * The JSON gateway on the client port (etcd's grpc-gateway): `POST /v3/kv/range` with a JSON body is
 * served by the same handler as the gRPC call `/etcdserverpb.KV/Range`, through GatewayCall. Unary
 * answers are one JSON object; streaming answers (watch, lease keepalive, snapshot, election observe)
 * are newline-delimited `{"result":{...}}` objects. Errors are `{"error","message","code"}` with
 * grpc-gateway's HTTP status (streams: a final `{"error":{...}}` line). `Authorization` becomes the
 * `authorization` metadata (auth tokens), `Grpc-Metadata-<key>` headers become metadata `<key>`.
 */
import type * as http from 'node:http';
import * as grpc from '@grpc/grpc-js';
import { GrpcStatus } from '../../base/errors.js';
import { ALL_SERVICE_DESCRIPTORS } from '../../proto/services.js';
import type { StatusLike } from '../h2/calls.js';
import type { HttpRequestLike, HttpResponseLike } from '../h2/client-listener.js';
import type { RegisteredRoute } from '../h2/grpc-h2-server.js';
import type { SubHandler } from '../http-endpoints.js';
import type { GrpcMetricsHooks, GrpcType } from '../../metrics/hooks.js';
import { GatewayCall, type GatewaySink } from './gateway-call.js';
import { GatewayJsonError, messageFromJson, messageToJson } from './json-codec.js';
import { JsonValueSplitter } from './json-stream.js';
import { GATEWAY_ROUTES, httpStatusFromGrpcCode } from './routes.js';

/** Where the gateway finds the handlers (tetcd's GrpcH2Server). */
export interface GatewayRoutes { route(path: string): RegisteredRoute | undefined }

/** A unary request body larger than this is refused. */
export const GATEWAY_BODY_BYTES_MAX = 64 * 1024 * 1024;
const JSON_HEADERS = { 'content-type': 'application/json' };
const TEXT_HEADERS = { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' };

interface MethodTypes { requestType: string; responseType: string }

const METHOD_TYPES: ReadonlyMap<string, MethodTypes> = new Map(ALL_SERVICE_DESCRIPTORS.flatMap((service) =>
  service.methods.map((m) => [`/${service.fullName}/${m.name}`,
    { requestType: m.requestType.typeName, responseType: m.responseType.typeName }] as const)));

type Readable = HttpRequestLike & Pick<http.IncomingMessage, 'on' | 'setEncoding' | 'socket'>;
type Writable = HttpResponseLike & Pick<http.ServerResponse, 'write' | 'on' | 'once' | 'headersSent'>;

/**
 * The `/v3/...` handler; returns false for other paths. With `metrics`, gateway calls count in the
 * grpc_server_* counters as they do in etcd (whose gateway calls its own gRPC server).
 */
export function createGateway(routes: GatewayRoutes, metrics?: GrpcMetricsHooks): SubHandler {
  return (request, response) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (!path.startsWith('/v3/')) return false;
    const grpcPath = GATEWAY_ROUTES[path];
    const route = grpcPath === undefined ? undefined : routes.route(grpcPath);
    const types = grpcPath === undefined ? undefined : METHOD_TYPES.get(grpcPath);
    if (route === undefined || types === undefined) {
      response.writeHead(404, TEXT_HEADERS);
      response.end('Not Found\n');
    } else if (request.method !== 'POST') {
      response.writeHead(405, TEXT_HEADERS);
      response.end('Method Not Allowed\n');
    } else if (!isReadable(request) || !isWritable(response)) {
      replyError(response, { code: GrpcStatus.UNIMPLEMENTED, details: 'the JSON gateway needs a readable request' });
    } else if (route.handler === undefined) {
      replyError(response, { code: GrpcStatus.UNIMPLEMENTED, details: `unknown method ${grpcPath}` });
    } else {
      serve(request, response, route, types, metrics);
    }
    return true;
  };
}

function isReadable(request: HttpRequestLike): request is Readable {
  return typeof (request as { on?: unknown }).on === 'function';
}

function isWritable(response: HttpResponseLike): response is Writable {
  return typeof (response as { write?: unknown }).write === 'function';
}

function serve(request: Readable, response: Writable, route: RegisteredRoute, types: MethodTypes,
  metrics: GrpcMetricsHooks | undefined): void {
  const { method, handler } = route;
  const streaming = method.responseStream;
  const plain = streaming ? streamSink(response, types.responseType) : unarySink(response, types.responseType);
  const inner = metrics === undefined ? plain : countingSink(plain, method, metrics);
  // grpc-gateway half-closes a client stream only after the server answered what it sent (etcd's handlers
  // answer each request before reading the next): 'end' waits until every delivered request is answered.
  const flow = { delivered: 0, answered: 0, ended: false };
  const sink: GatewaySink = { finish: (status) => inner.finish(status), message: (value) => {
    flow.answered++;
    const ok = inner.message(value);
    maybeEnd();
    return ok;
  } };
  const call = new GatewayCall(metadataFromHttp(request.headers), sink, peerOf(request));
  const maybeEnd = (): void => {
    if (flow.ended && flow.answered >= flow.delivered) {
      flow.ended = false;
      setImmediate(() => call.emit('end'));
    }
  };
  response.on('close', () => call.clientClosed());
  response.on('drain', () => call.drained());
  type Callback = (error: StatusLike | null, value?: unknown) => void;
  const anyHandler = handler as unknown as (call: GatewayCall, callback?: Callback) => void;
  if (method.requestStream) {
    anyHandler(call);
    streamRequests(request, call, types.requestType, {
      delivered: () => { flow.delivered++; },
      ended: () => { flow.ended = true; maybeEnd(); },
    });
    return;
  }
  void readBody(request).then((body) => {
    call.request = messageFromJson(types.requestType, body.trim() === '' ? {} : JSON.parse(body));
    if (streaming) {
      anyHandler(call);
      return;
    }
    anyHandler(call, (error, value) => {
      if (error !== null && error !== undefined) call.emit('error', error);
      else { call.write(value); call.end(); }
    });
  }).catch((error: unknown) => call.emit('error', invalidArgument(error)));
}

/** Counts the call in go-grpc-prometheus's counters (started now, handled at finish). */
function countingSink(sink: GatewaySink, method: RegisteredRoute['method'], metrics: GrpcMetricsHooks): GatewaySink {
  const slash = method.path.lastIndexOf('/');
  const [service, name] = [method.path.slice(1, slash), method.path.slice(slash + 1)];
  const type: GrpcType = method.requestStream ? (method.responseStream ? 'bidi_stream' : 'client_stream')
    : (method.responseStream ? 'server_stream' : 'unary');
  const startedMs = performance.now();
  metrics.started(service, name, type);
  return {
    message: (value) => { metrics.messageSent(service, name, type); return sink.message(value); },
    finish: (status) => {
      metrics.handled(service, name, type, status.code ?? GrpcStatus.UNKNOWN, performance.now() - startedMs);
      sink.finish(status);
    },
  };
}

function invalidArgument(error: unknown): StatusLike {
  const message = error instanceof GatewayJsonError || error instanceof SyntaxError
    ? error.message : String(error);
  return { code: GrpcStatus.INVALID_ARGUMENT, details: message };
}

function streamRequests(request: Readable, call: GatewayCall, requestType: string,
  events: { delivered(): void; ended(): void }): void {
  const splitter = new JsonValueSplitter();
  request.setEncoding('utf8');
  request.on('data', (chunk: string) => {
    try {
      for (const text of splitter.push(chunk)) {
        events.delivered();
        call.deliver(messageFromJson(requestType, JSON.parse(text)));
      }
    } catch (error) {
      call.emit('error', invalidArgument(error));
    }
  });
  request.on('end', () => events.ended());
}

function readBody(request: Readable): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => {
      body += chunk;
      if (body.length > GATEWAY_BODY_BYTES_MAX) reject(new Error('request body too large'));
    });
    request.on('end', () => resolve(body));
    request.on('error', reject);
  });
}

function unarySink(response: Writable, responseType: string): GatewaySink {
  let value: object | undefined;
  return {
    message: (message) => { value = message; return true; },
    finish: (status) => {
      if ((status.code ?? GrpcStatus.UNKNOWN) !== GrpcStatus.OK) { replyError(response, status); return; }
      response.writeHead(200, JSON_HEADERS);
      response.end(JSON.stringify(messageToJson(responseType, value ?? {})));
    },
  };
}

function streamSink(response: Writable, responseType: string): GatewaySink {
  const start = (): void => { if (!response.headersSent) response.writeHead(200, JSON_HEADERS); };
  return {
    message: (message) => {
      start();
      return response.write(`${JSON.stringify({ result: messageToJson(responseType, message) })}\n`);
    },
    finish: (status) => {
      const code = status.code ?? GrpcStatus.UNKNOWN;
      if (code === GrpcStatus.OK) { start(); response.end(); return; }
      if (!response.headersSent) { replyError(response, status); return; }
      const message = status.details ?? status.message ?? '';
      response.end(`${JSON.stringify({ error: { grpc_code: code, http_code: httpStatusFromGrpcCode(code), message,
        http_status: httpStatusText(httpStatusFromGrpcCode(code)) } })}\n`);
    },
  };
}

function replyError(response: HttpResponseLike, status: StatusLike): void {
  const code = status.code ?? GrpcStatus.UNKNOWN;
  const message = status.details ?? status.message ?? '';
  response.writeHead(httpStatusFromGrpcCode(code), JSON_HEADERS);
  response.end(JSON.stringify({ error: message, message, code }));
}

const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 408: 'Request Timeout',
  409: 'Conflict', 412: 'Precondition Failed', 429: 'Too Many Requests', 500: 'Internal Server Error',
  501: 'Not Implemented', 503: 'Service Unavailable', 504: 'Gateway Timeout',
};

function httpStatusText(status: number): string {
  return STATUS_TEXT[status] ?? 'Internal Server Error';
}

/** grpc-gateway's incoming header mapping: Authorization, Grpc-Metadata-* and the gateway markers. */
function metadataFromHttp(headers: http.IncomingHttpHeaders): grpc.Metadata {
  const metadata = new grpc.Metadata();
  for (const [key, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const text = Array.isArray(value) ? value.join(',') : value;
    if (key === 'authorization') metadata.set('authorization', text);
    else if (key.startsWith('grpc-metadata-')) metadata.set(key.slice('grpc-metadata-'.length), text);
  }
  metadata.set('grpcgateway-accept', String(headers['accept'] ?? '*/*'));
  if (headers['user-agent'] !== undefined) metadata.set('grpcgateway-user-agent', String(headers['user-agent']));
  return metadata;
}

function peerOf(request: Readable): string {
  const socket = request.socket as { remoteAddress?: string; remotePort?: number } | undefined;
  return `${socket?.remoteAddress ?? 'unknown'}:${socket?.remotePort ?? 0}`;
}
