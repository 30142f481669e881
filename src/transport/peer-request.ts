/** One short HTTP/2 request to a peer URL (membership queries, promotion forwarding). */
import * as http2 from 'node:http2';
import * as net from 'node:net';
import { isIP } from 'node:net';
import * as tls from 'node:tls';

export interface PeerResponse { status: number; headers: http2.IncomingHttpHeaders; body: string }

/**
 * Opens a TCP connection to a peer URL, or TLS for an https:// URL with `clientTls` (certificate, CA; see
 * platform/tls-config.ts clientTlsOptions), offering ALPN protocol `alpn`. Nagle is off: raft messages
 * are small and latency-bound, and Nagle would hold one back until the previous segment is
 * acknowledged. An IP host gets no TLS server name (RFC 6066 allows only DNS names there).
 */
export function connectPeerSocket(url: string, clientTls: tls.ConnectionOptions | undefined,
  alpn: string): net.Socket {
  const target = new URL(url);
  const host = target.hostname.replace(/^\[(.*)\]$/, '$1');
  const secure = target.protocol === 'https:' && clientTls !== undefined;
  const port = Number(target.port !== '' ? target.port : (secure ? 443 : 80));
  if (!secure) return net.connect({ host, port, noDelay: true });
  const servername = isIP(host) === 0 ? host : undefined;
  return tls.connect({ ...clientTls, host, port, ALPNProtocols: [alpn],
    ...(servername === undefined ? {} : { servername }) }).setNoDelay(true);
}

/** Opens an HTTP/2 session to a peer URL (TLS for https:// with `clientTls`, see connectPeerSocket). */
export function connectPeer(url: string, clientTls: tls.ConnectionOptions | undefined): http2.ClientHttp2Session {
  return http2.connect(url, { createConnection: () => connectPeerSocket(url, clientTls, 'h2') });
}

/**
 * One request/response to a peer; resolves with status, headers and the body as text.
 * @throws Error on a connection or TLS failure, or no answer within `timeoutMs`.
 */
export function peerRequest(url: string, method: string, path: string, headers: Record<string, string> = {},
  timeoutMs = 5000, clientTls?: tls.ConnectionOptions): Promise<PeerResponse> {
  return new Promise<PeerResponse>((resolve, reject) => {
    const session = connectPeer(url, clientTls);
    const timer = setTimeout(() => { session.destroy(); reject(new Error(`peer ${url} did not answer ${path} in ${timeoutMs}ms`)); }, timeoutMs);
    session.on('error', (error) => { clearTimeout(timer); reject(error); });
    const stream = session.request({ ':method': method, ':path': path, ...headers });
    stream.setEncoding('utf8');
    let body = '';
    let responseHeaders: http2.IncomingHttpHeaders = {};
    stream.on('response', (h) => { responseHeaders = h; });
    stream.on('data', (chunk: string) => { body += chunk; });
    stream.on('end', () => {
      clearTimeout(timer);
      session.close();
      resolve({ status: Number(responseHeaders[':status']), headers: responseHeaders, body });
    });
    stream.on('error', (error) => { clearTimeout(timer); session.destroy(); reject(error); });
    stream.end();
  });
}
