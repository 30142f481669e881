/** One HTTPS GET for the join sequence (bootstrap endpoint of an HA member). */
import * as https from 'node:https';

/** Largest bootstrap answer accepted (CA bundle, bootstrap JSON, member list). */
export const JOIN_RESPONSE_BYTES_MAX = 1024 * 1024;

export interface JoinGetOptions {
  /** PEM CA to verify the server with; without it the server is not verified (the /cacerts fetch). */
  caPem?: string;
  /** `user:password` for basic auth. */
  basicAuth?: string;
  timeoutMs: number;
}

/**
 * GETs `url` (https). Resolves with the status and body for any HTTP answer.
 * @throws Error on connection, TLS or timeout failures, or an answer over JOIN_RESPONSE_BYTES_MAX.
 */
export function joinGet(url: URL, options: JoinGetOptions): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    if (options.basicAuth !== undefined) {
      headers['authorization'] = `Basic ${Buffer.from(options.basicAuth, 'utf8').toString('base64')}`;
    }
    const request = https.get(url, {
      headers, timeout: options.timeoutMs, agent: false,
      ...(options.caPem === undefined ? { rejectUnauthorized: false } : { ca: options.caPem }),
    }, (response) => {
      const chunks: Buffer[] = [];
      let sizeBytes = 0;
      response.on('data', (chunk: Buffer) => {
        sizeBytes += chunk.length;
        if (sizeBytes > JOIN_RESPONSE_BYTES_MAX) {
          request.destroy(new Error(`answer from ${url.origin}${url.pathname} is larger than ${JOIN_RESPONSE_BYTES_MAX} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', reject);
    });
    request.on('timeout', () => request.destroy(new Error(`GET ${url.origin}${url.pathname} timed out after ${options.timeoutMs} ms`)));
    request.on('error', reject);
  });
}
