/**
 * Free TCP port allocation on 127.0.0.1. A port is picked at random below the kernel's ephemeral range
 * (32768-60999 on Linux) and checked by binding and closing it; ports already handed out by this process are
 * never handed out again, so two servers started by one test file cannot collide with each other. Staying
 * out of the ephemeral range matters: a port the kernel hands to bind(0) can be taken by any outgoing
 * connection's local end before the server binds it (seen as EADDRINUSE in cluster tests).
 */
import { createServer } from 'node:net';
import { assert } from '../../src/base/assert.js';

/** How many times we ask the kernel for a port before giving up. */
const PORT_ATTEMPTS_MAX = 200;
/** Ports tried: [PORT_MIN, PORT_MAX), below Linux's default ephemeral range and above well-known services. */
const PORT_MIN = 15_000;
const PORT_MAX = 32_768;
const handedOut = new Set<number>();

/** Resolves with `port` if it could be bound on 127.0.0.1 just now, with 0 if it is in use. */
function probePort(port: number): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(0));
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => {
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
    const port = await probePort(PORT_MIN + Math.floor(Math.random() * (PORT_MAX - PORT_MIN)));
    assert(Number.isInteger(port) && port >= 0 && port < 65536, `bad port ${port}`);
    if (port === 0 || handedOut.has(port)) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error(`no free 127.0.0.1 port after ${PORT_ATTEMPTS_MAX} attempts`);
}
