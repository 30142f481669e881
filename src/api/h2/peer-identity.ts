/**
 * The verified client certificate of a gRPC call, for auth (etcd uses the CN as the user name when
 * --client-cert-auth is on and the request carries no token). The TLS client listener attaches the
 * certificate (or null) to each HTTP/2 session's socket under PEER_CERTIFICATE; a call reaches it through
 * its stream's session. grpc-js calls (TETCD_GRPC_SERVER=grpc-js) answer through `getAuthContext()`.
 *
 *   const user = callPeerCommonName(call);   // undefined: plain-text connection or no client certificate
 */
import type { PeerCertificate } from 'node:tls';

/** Property of an HTTP/2 session's socket holding the connection's verified client certificate. */
export const PEER_CERTIFICATE: unique symbol = Symbol('tetcd.peerCertificate');

/** What a call offers: H2Call (its stream's session socket) or a grpc-js server call (getAuthContext). */
export interface CallWithPeer {
  getPeer(): string;
  getAuthContext?: () => { sslPeerCertificate?: PeerCertificate | undefined } | undefined;
}

interface H2CallShape { transport?: { stream?: { session?: { socket?: { [PEER_CERTIFICATE]?: unknown } } } } }

/** "address:port" as H2Call.getPeer() formats it. */
export function peerKey(remoteAddress: string | undefined, remotePort: number | undefined): string {
  return `${remoteAddress}:${remotePort}`;
}

function isCertificate(value: unknown): value is PeerCertificate {
  return typeof value === 'object' && value !== null && (value as PeerCertificate).raw !== undefined;
}

/** The verified client certificate of the call's connection, or undefined (plain text, none, or closed). */
export function callPeerCertificate(call: CallWithPeer): PeerCertificate | undefined {
  const fromGrpcJs = call.getAuthContext?.()?.sslPeerCertificate;
  if (isCertificate(fromGrpcJs)) return fromGrpcJs;
  try {
    const value = (call as H2CallShape).transport?.stream?.session?.socket?.[PEER_CERTIFICATE];
    return isCertificate(value) ? value : undefined;
  } catch {
    return undefined; // the session's socket is gone (closed connection)
  }
}

/** The CN of the call's verified client certificate (etcd's user for cert auth), or undefined. */
export function callPeerCommonName(call: CallWithPeer): string | undefined {
  const cn = callPeerCertificate(call)?.subject?.CN;
  return typeof cn === 'string' && cn !== '' ? cn : undefined;
}
