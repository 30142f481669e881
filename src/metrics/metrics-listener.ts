/**
 * The --listen-metrics-urls listener: plain HTTP/1.1 serving what the caller's handler serves
 * (/metrics, /health, /livez, /readyz; see src/api/http-endpoints.ts metricsHttpEndpoints).
 */
import * as http from 'node:http';

export type MetricsHttpHandler = (request: http.IncomingMessage, response: http.ServerResponse) => void;

/** Connections still open this long after close() are destroyed. */
const CLOSE_GRACE_MS = 1000;

export class MetricsListener {
  private readonly server: http.Server;

  constructor(handler: MetricsHttpHandler) {
    this.server = http.createServer(handler);
  }

  /** Binds host:port (0 = any free port) and returns the bound port. Throws the listen error. */
  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        const address = this.server.address();
        resolve(typeof address === 'object' && address !== null ? address.port : port);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
      const timer = setTimeout(() => this.server.closeAllConnections(), CLOSE_GRACE_MS);
      timer.unref();
    });
  }
}
