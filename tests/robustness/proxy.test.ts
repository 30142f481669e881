/**
 * The peer proxy identifies the member that opened a connection (here: this test process, named 'a') and
 * black-holes blocked directions; unblocking cuts the black-holed connection so the sender reconnects.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createConnection, createServer, type Socket } from 'node:net';
import { allocatePort } from '../helpers/ports.js';
import { PeerNetwork, ownerOfLocalPort } from './proxy.js';

async function echoServer(port: number): Promise<() => Promise<void>> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => { sockets.add(s); s.pipe(s); });
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  return () => new Promise((resolve) => { for (const s of sockets) s.destroy(); server.close(() => resolve()); });
}

/** Sends `text` and resolves with the echoed reply, or 'timeout' after `ms`. */
async function roundTrip(port: number, text: string, ms: number): Promise<{ reply: string; socket: Socket }> {
  const socket = createConnection({ host: '127.0.0.1', port });
  socket.on('error', () => undefined);
  await once(socket, 'connect');
  socket.write(text);
  const reply = await Promise.race([
    once(socket, 'data').then(([d]) => String(d)),
    new Promise<string>((resolve) => setTimeout(() => resolve('timeout'), ms)),
  ]);
  return { reply, socket };
}

test('the proxy finds the connecting process from /proc', async () => {
  const port = await allocatePort();
  const close = await echoServer(port);
  const socket = createConnection({ host: '127.0.0.1', port });
  await once(socket, 'connect');
  assert.equal(ownerOfLocalPort(socket.localPort!, new Map([['a', process.pid]])), 'a');
  assert.equal(ownerOfLocalPort(socket.localPort!, new Map([['b', 1]])), undefined);
  socket.destroy();
  await close();
});

test('block black-holes one direction and unblock restores it', async () => {
  const target = await allocatePort();
  const proxyPort = await allocatePort();
  const close = await echoServer(target);
  const net = new PeerNetwork(() => new Map([['a', process.pid]]));
  await net.addProxy('b', proxyPort, target);
  try {
    const open = await roundTrip(proxyPort, 'hello', 5_000);
    assert.equal(open.reply, 'hello');
    const closed = once(open.socket, 'close');
    net.block('a', 'b');
    await closed; // existing connections are cut
    const blocked = await roundTrip(proxyPort, 'lost', 300);
    assert.equal(blocked.reply, 'timeout');
    assert.deepEqual(net.rules(), ['a->b']);
    net.block('b', 'a'); // the other direction does not matter for connections from 'a'
    const cut = once(blocked.socket, 'close');
    net.healAll();
    await cut; // the black-holed connection is closed so the sender reconnects
    const healed = await roundTrip(proxyPort, 'again', 5_000);
    assert.equal(healed.reply, 'again');
    healed.socket.destroy();
  } finally {
    await net.close();
    await close();
  }
});
