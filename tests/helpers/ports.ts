/**
 * Free TCP port allocation on 127.0.0.1. A port is found by binding port 0 and closing the socket;
 * ports already handed out by this process are never handed out again, so two servers started by
 * one test file cannot collide with each other.
 */
import { createServer } from 'node:net';
import { assert } from '../../src/base/assert.js';

/** How many times we ask the kernel for a port before giving up. */
const PORT_ATTEMPTS_MAX = 50;
const handedOut = new Set<number>();

function probeFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Returns a port that was free on 127.0.0.1 a moment ago and that this process has not handed out.
 * @throws Error if no such port is found after PORT_ATTEMPTS_MAX tries.
 */
export async function allocatePort(): Promise<number> {
  for (let attempt = 0; attempt < PORT_ATTEMPTS_MAX; attempt++) {
    const port = await probeFreePort();
    assert(Number.isInteger(port) && port >= 0 && port < 65536, `bad port ${port}`);
    if (port === 0 || handedOut.has(port)) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error(`no free 127.0.0.1 port after ${PORT_ATTEMPTS_MAX} attempts`);
}
