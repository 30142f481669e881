/**
 * Who is calling: the AuthInfo of a gRPC call when auth is enabled, from the `token` metadata
 * (`authorization` for the gateway), else from the verified client certificate's common name (the TLS
 * listener asks for and records client certificates only with --client-cert-auth, see
 * h2/peer-identity.ts), else none. An unknown or expired token fails with ERR_INVALID_AUTH_TOKEN, as etcd.
 */
import type * as grpc from '@grpc/grpc-js';
import { etcdError } from '../base/errors.js';
import { SimpleTokenProvider } from '../auth/simple-token.js';
import type { AuthInfo } from '../auth/types.js';
import type { EtcdServer } from '../server/etcd-server.js';
import { callPeerCommonName, type CallWithPeer } from './h2/peer-identity.js';

/** The subset of a call this module reads (grpc-js calls and tetcd's H2Call). */
export interface CallLike extends CallWithPeer {
  metadata: grpc.Metadata;
}

/** The token a client sent, if any. */
export function tokenFromCall(call: CallLike): string | undefined {
  const value = call.metadata.get('token')[0] ?? call.metadata.get('authorization')[0];
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value : value.toString('utf8');
}

/**
 * The user named by the client certificate's common name, or undefined without TLS or without a CN.
 * Requests relayed by the gRPC gateway (grpcgateway-accept metadata) never use the certificate, as etcd.
 */
export function userFromCall(call: CallLike): string | undefined {
  if (call.metadata.get('grpcgateway-accept').length > 0) return undefined;
  return callPeerCommonName(call);
}

/**
 * The caller of `call` (undefined when auth is disabled or no credentials were sent). Throws
 * ERR_INVALID_AUTH_TOKEN for a token that is unknown, expired or (JWT) badly signed.
 */
export async function authInfoFromCall(server: EtcdServer, call: CallLike): Promise<AuthInfo | undefined> {
  if (!server.auth.isEnabled()) return undefined;
  const token = tokenFromCall(call);
  if (token !== undefined) {
    let info = server.auth.authInfoFromToken(token);
    if (info === undefined && server.auth.tokens.kind === 'simple') {
      // A simple token issued through another member may not be applied here yet: catch up, then look again.
      const index = SimpleTokenProvider.indexOf(token);
      if (index !== undefined && index > server.appliedIndex()) {
        await server.linearizableRead();
        info = server.auth.authInfoFromToken(token);
      }
    }
    if (info === undefined) throw etcdError('ERR_INVALID_AUTH_TOKEN');
    return info;
  }
  const user = userFromCall(call);
  return user === undefined ? undefined : { username: user, revision: server.auth.revision() };
}

/**
 * Like authInfoFromCall without waiting (for Watch, whose requests are handled in order): a token not
 * known here yet counts as invalid. Throws ERR_INVALID_AUTH_TOKEN.
 */
export function authInfoFromCallNow(server: EtcdServer, call: CallLike): AuthInfo | undefined {
  if (!server.auth.isEnabled()) return undefined;
  const token = tokenFromCall(call);
  if (token !== undefined) {
    const info = server.auth.authInfoFromToken(token);
    if (info === undefined) throw etcdError('ERR_INVALID_AUTH_TOKEN');
    return info;
  }
  const user = userFromCall(call);
  return user === undefined ? undefined : { username: user, revision: server.auth.revision() };
}

/**
 * A view of `server` whose KV and lease calls act as `info` (for services built on the KV API, such
 * as Lock and Election); everything else is the server itself.
 */
export function serverAs(server: EtcdServer, info: AuthInfo | undefined): EtcdServer {
  if (info === undefined) return server;
  const scoped = Object.create(server) as EtcdServer;
  scoped.range = (request) => server.range(request, info);
  scoped.put = (request) => server.put(request, info);
  scoped.deleteRange = (request) => server.deleteRange(request, info);
  scoped.txn = (request) => server.txn(request, info);
  scoped.leaseRevoke = (id) => server.leaseRevoke(id, info);
  return scoped;
}

/** serverAs for the caller of `call`. Throws ERR_INVALID_AUTH_TOKEN. */
export async function serverForCall(server: EtcdServer, call: CallLike): Promise<EtcdServer> {
  return serverAs(server, await authInfoFromCall(server, call));
}

/**
 * Runs `handler` as the caller of `call`. With auth disabled it runs at once (no extra await on the hot
 * path); otherwise after the caller is known. Rejects with ERR_INVALID_AUTH_TOKEN.
 */
export function withCaller<T>(server: EtcdServer, call: unknown,
  handler: (info: AuthInfo | undefined) => Promise<T> | T): Promise<T> | T {
  if (!server.auth.isEnabled()) return handler(undefined);
  return authInfoFromCall(server, call as CallLike).then(handler);
}
