/**
 * The peer transport on 127.0.0.1: raw raft streams between two transports (preface, OK, frames), their
 * refusals (wrong cluster, removed sender), the HTTP/2 fallback for a peer that speaks only
 * `POST /raft/stream` (an older tetcd, over TCP and TLS), an older sender's `POST /raft/stream` on the new
 * listener, closing a removed member's incoming stream, and what the peer port does with bytes that are
 * neither HTTP/2 nor a well-formed raft stream.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as http2 from 'node:http2';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { pino } from 'pino';
import { createSelfSignedCert } from '../pki/index.js';
import type { Logger } from '../platform/logger.js';
import { MessageType, type Message } from '../raft/types.js';
import type { TransportHandler } from '../server/transport-api.js';
import { encodeFrame, FrameReader } from './message-codec.js';
import { REFUSAL_LINGER_MS } from './peer-listener.js';
import { PeerTransport } from './peer-transport.js';
import { encodePreface } from './raw-stream.js';

const CLUSTER = 0x10n;
const FRAME_BYTES_MAX = 1 << 20;
const WAIT_MS = 5000;

interface Recorder { handler: TransportHandler; received: Message[]; removedByPeer: number; removed: Set<bigint> }

function recorder(): Recorder {
  const r: Recorder = { received: [], removedByPeer: 0, removed: new Set(),
    handler: undefined as unknown as TransportHandler };
  r.handler = {
    receive: (messages) => { r.received.push(...messages); },
    reportUnreachable: () => undefined,
    reportSnapshot: () => undefined,
    snapshotDb: () => Promise.reject(new Error('no snapshots here')),
    receiveSnapshotDb: () => Promise.reject(new Error('no snapshots here')),
    removedByPeer: () => { r.removedByPeer++; },
    isRemoved: (id) => r.removed.has(id),
    membersJson: () => '[]',
    promoteMember: () => Promise.reject(new Error('not the leader')),
  };
  return r;
}

/** A logger whose records are kept (JSON objects) for assertions. */
function recordingLogger(): { logger: Logger; records: Array<Record<string, unknown>> } {
  const records: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => { records.push(JSON.parse(line) as Record<string, unknown>); } });
  return { logger, records };
}

const transports: PeerTransport[] = [];
const servers: Array<net.Server | http2.Http2Server> = [];
after(async () => {
  await Promise.all(transports.map((t) => t.stop()));
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
});

/** A self-signed certificate for 127.0.0.1, made once: TLS listeners and clients in these tests share it. */
let certificate: { certPem: string; keyPem: string } | undefined;
async function testCertificate(): Promise<{ certPem: string; keyPem: string }> {
  certificate ??= await createSelfSignedCert({ hosts: ['127.0.0.1'], validityDays: 1 });
  return certificate;
}

async function startTransport(localId: bigint, clusterId = CLUSTER, secure = false,
  timeouts: { handshakeTimeoutMs?: number; sniffTimeoutMs?: number } = {}): Promise<{
  transport: PeerTransport; url: string; rec: Recorder; records: Array<Record<string, unknown>>;
}> {
  const rec = recorder();
  const { logger, records } = recordingLogger();
  const cert = secure ? await testCertificate() : undefined;
  const tlsOptions = cert === undefined ? undefined : {
    listener: { options: { cert: cert.certPem, key: cert.keyPem }, check: () => Promise.resolve(undefined) },
    client: { ca: cert.certPem, cert: cert.certPem, key: cert.keyPem },
  };
  const transport = new PeerTransport({ localId, clusterId, frameBytesMax: FRAME_BYTES_MAX,
    backlogBytesMax: 1 << 20, tls: tlsOptions, ...timeouts }, rec.handler, logger);
  transports.push(transport);
  const port = await transport.listen('127.0.0.1', 0, secure);
  return { transport, url: `${secure ? 'https' : 'http'}://127.0.0.1:${port}`, rec, records };
}

async function waitFor<T>(what: string, probe: () => T | undefined): Promise<T> {
  const deadline = performance.now() + WAIT_MS;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function heartbeat(from: bigint, to: bigint, commit: number): Message {
  return { type: MessageType.Heartbeat, from, to, term: 3, logTerm: 0, index: 0, entries: [], commit,
    reject: false, rejectHint: 0, context: new Uint8Array(0) } as Message;
}

/** Opens a plain connection to `port`, writes `bytes` and resolves with what came back before it closed. */
function exchange(port: number, bytes: Buffer | string): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    socket.on('data', (chunk) => { text += chunk.toString('latin1'); });
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(text));
    socket.write(bytes);
  });
}

test('two transports exchange messages over raw raft streams', async () => {
  const a = await startTransport(1n);
  const b = await startTransport(2n);
  a.transport.addPeer(2n, [b.url]);
  b.transport.addPeer(1n, [a.url]);
  await waitFor('a → b active', () => a.transport.streamProtocol(2n));
  await waitFor('b → a active', () => b.transport.streamProtocol(1n));
  assert.equal(a.transport.streamProtocol(2n), 'raft');
  a.transport.send([heartbeat(1n, 2n, 7), heartbeat(1n, 2n, 8)]);
  b.transport.send([heartbeat(2n, 1n, 9)]);
  await waitFor('b to receive two messages', () => (b.rec.received.length === 2 ? true : undefined));
  await waitFor('a to receive one message', () => (a.rec.received.length === 1 ? true : undefined));
  assert.deepEqual(b.rec.received.map((m) => [m.type, m.from, m.to, m.term, m.commit]),
    [[MessageType.Heartbeat, 1n, 2n, 3, 7], [MessageType.Heartbeat, 1n, 2n, 3, 8]]);
  assert.equal(typeof b.rec.received[0]!.from, 'bigint');
  assert.ok(a.records.some((r) => r.msg === 'peer became active' && r.protocol === 'raft'));
});

test('raw raft streams over TLS (ALPN tetcd-raft)', async () => {
  const a = await startTransport(1n, CLUSTER, true);
  const b = await startTransport(2n, CLUSTER, true);
  a.transport.addPeer(2n, [b.url]);
  await waitFor('a → b active', () => a.transport.streamProtocol(2n));
  assert.equal(a.transport.streamProtocol(2n), 'raft');
  a.transport.send([heartbeat(1n, 2n, 11)]);
  await waitFor('b to receive', () => (b.rec.received.length === 1 ? true : undefined));
  assert.equal(b.rec.received[0]!.commit, 11);
  // The negotiated protocol binds: HTTP/2 bytes on a connection that negotiated tetcd-raft are refused.
  const cert = await testCertificate();
  const answer = await new Promise<string>((resolve) => {
    const socket = tls.connect({ host: '127.0.0.1', port: Number(new URL(b.url).port), ca: cert.certPem,
      ALPNProtocols: ['tetcd-raft'] });
    let text = '';
    socket.on('data', (chunk: Buffer) => { text += chunk.toString('latin1'); });
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(text));
    socket.write('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
  });
  assert.equal(answer, '');
  await waitFor('the rejection log', () => b.records.find((r) => r.msg === 'rejected connection' &&
    r.error === 'HTTP/2 on a connection that negotiated tetcd-raft'));
});

test('a stream from another cluster or from a removed member is refused with the reason', async () => {
  const a = await startTransport(1n);
  const other = await startTransport(2n, 0x99n);
  a.transport.addPeer(2n, [other.url]);
  const refusal = await waitFor('the refusal', () => a.records.find((r) => r.msg === 'peer rejected the raft stream'));
  assert.match(String(refusal.reason), /^cluster ID mismatch \(local 99, remote 10\)$/);
  assert.equal(a.transport.streamProtocol(2n), undefined);
  assert.equal(other.rec.received.length, 0);

  const b = await startTransport(3n);
  b.rec.removed.add(1n);
  a.transport.addPeer(3n, [b.url]);
  await waitFor('removedByPeer', () => (a.rec.removedByPeer > 0 ? true : undefined));
  const removed = a.records.find((r) => r.msg === 'peer rejected the raft stream' && String(r.reason).includes('removed'));
  assert.equal(removed?.reason, 'member 1 has been removed from the cluster');
});

test('a peer that speaks only HTTP/2 raft streams gets POST /raft/stream', async () => {
  const frames: Message[][] = [];
  const legacy = http2.createServer();
  servers.push(legacy);
  legacy.on('stream', (stream, headers) => {
    assert.equal(headers[':path'], '/raft/stream');
    assert.equal(headers['x-tetcd-from'], '1');
    stream.respond({ ':status': 200 });
    const reader = new FrameReader(FRAME_BYTES_MAX);
    stream.on('data', (chunk: Buffer) => frames.push(...reader.push(chunk)));
  });
  const port = await new Promise<number>((resolve) => legacy.listen(0, '127.0.0.1', () => resolve((legacy.address() as net.AddressInfo).port)));
  const a = await startTransport(1n);
  a.transport.addPeer(4n, [`http://127.0.0.1:${port}`]);
  await waitFor('the h2 stream', () => a.transport.streamProtocol(4n));
  assert.equal(a.transport.streamProtocol(4n), 'h2');
  a.transport.send([heartbeat(1n, 4n, 5)]);
  await waitFor('the frame', () => (frames.length > 0 ? true : undefined));
  assert.equal(frames[0]![0]!.commit, 5);
  assert.ok(a.records.some((r) => r.msg === 'peer speaks only HTTP/2 raft streams; using POST /raft/stream'));
});

test('a TLS peer that offers only h2 by ALPN gets POST /raft/stream', async () => {
  const cert = await testCertificate();
  const frames: Message[][] = [];
  const legacy = http2.createSecureServer({ cert: cert.certPem, key: cert.keyPem });
  servers.push(legacy);
  legacy.on('stream', (stream) => {
    stream.respond({ ':status': 200 });
    const reader = new FrameReader(FRAME_BYTES_MAX);
    stream.on('data', (chunk: Buffer) => frames.push(...reader.push(chunk)));
  });
  const port = await new Promise<number>((resolve) => legacy.listen(0, '127.0.0.1', () => resolve((legacy.address() as net.AddressInfo).port)));
  const a = await startTransport(1n, CLUSTER, true);
  a.transport.addPeer(5n, [`https://127.0.0.1:${port}`]);
  await waitFor('the h2 stream', () => a.transport.streamProtocol(5n));
  assert.equal(a.transport.streamProtocol(5n), 'h2');
  a.transport.send([heartbeat(1n, 5n, 6)]);
  await waitFor('the frame', () => (frames.length > 0 ? true : undefined));
  assert.equal(frames[0]![0]!.commit, 6);
});

test('an older sender\'s POST /raft/stream is still served', async () => {
  const b = await startTransport(2n);
  const session = http2.connect(b.url);
  const stream = session.request({ ':method': 'POST', ':path': '/raft/stream', 'x-tetcd-cluster-id': '10',
    'x-tetcd-from': '1', 'x-tetcd-to': '2' });
  const status = await new Promise<number>((resolve) => stream.on('response', (h) => resolve(Number(h[':status']))));
  assert.equal(status, 200);
  stream.write(encodeFrame([heartbeat(1n, 2n, 12)]));
  await waitFor('b to receive', () => (b.rec.received.length === 1 ? true : undefined));
  assert.equal(b.rec.received[0]!.commit, 12);
  session.destroy();
});

test('a preface split across segments is accepted', async () => {
  const b = await startTransport(2n);
  const preface = Buffer.from(encodePreface(CLUSTER, 1n, 2n));
  const answer = await new Promise<string>((resolve) => {
    const socket = net.connect(Number(new URL(b.url).port), '127.0.0.1');
    socket.setNoDelay(true);
    let text = '';
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      socket.write(encodeFrame([heartbeat(1n, 2n, 13)]));
      setTimeout(() => socket.end(), 50);
    });
    socket.on('close', () => resolve(text));
    // 'T', then the rest of the magic, then the ids: each arrives on its own.
    socket.write(preface.subarray(0, 1));
    setTimeout(() => socket.write(preface.subarray(1, 12)), 20);
    setTimeout(() => socket.write(preface.subarray(12)), 40);
  });
  assert.equal(answer, 'OK\n');
  await waitFor('b to receive', () => (b.rec.received.length === 1 ? true : undefined));
});

test('removing a peer closes its incoming raw stream', async () => {
  const a = await startTransport(1n);
  const b = await startTransport(2n);
  a.transport.addPeer(2n, [b.url]);
  await waitFor('a → b active', () => a.transport.streamProtocol(2n));
  b.rec.removed.add(1n);
  b.transport.removePeer(1n);
  await waitFor('a → b inactive', () => (a.transport.streamProtocol(2n) === undefined ? true : undefined));
  await waitFor('removedByPeer on reconnect', () => (a.rec.removedByPeer > 0 ? true : undefined));
});

test('the peer port refuses bytes that are neither HTTP/2 nor a well-formed raft stream', async () => {
  const b = await startTransport(2n);
  const port = Number(new URL(b.url).port);
  assert.equal(await exchange(port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n'), '');
  assert.equal(await exchange(port, 'TETCD-RAFT/1 10 1\n'), 'ERR malformed raft stream preface\n');
  assert.equal(await exchange(port, `TETCD-RAFT/1 ${'x'.repeat(2000)}`), '');
  assert.equal(await exchange(port, encodePreface(CLUSTER, 1n, 3n)), 'ERR member 3 is not this member (2)\n');
  // An accepted stream whose frame is over the limit is dropped without stepping anything.
  const oversized = Buffer.alloc(4);
  oversized.writeUInt32BE(FRAME_BYTES_MAX + 1, 0);
  assert.equal(await exchange(port, Buffer.concat([Buffer.from(encodePreface(CLUSTER, 1n, 2n)), oversized])), 'OK\n');
  const garbage = Buffer.from([0, 0, 0, 3, 0xff, 0xff, 0xff]);
  assert.equal(await exchange(port, Buffer.concat([Buffer.from(encodePreface(CLUSTER, 1n, 2n)), garbage])), 'OK\n');
  assert.equal(b.rec.received.length, 0);
  assert.equal(b.records.filter((r) => r.msg === 'dropping a peer stream with a malformed frame').length, 2);
  // HTTP/2 still works on the same port.
  const session = http2.connect(b.url);
  const body = await new Promise<string>((resolve, reject) => {
    const stream = session.request({ ':method': 'GET', ':path': '/members' });
    let text = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => { text += chunk; });
    stream.on('end', () => resolve(text));
    stream.on('error', reject);
  });
  session.destroy();
  assert.equal(body, '[]');
  // A frame that decodes is stepped (control for the refusals above).
  const good = encodeFrame([heartbeat(1n, 2n, 4)]);
  assert.equal(await exchangeThenClose(port, Buffer.concat([Buffer.from(encodePreface(CLUSTER, 1n, 2n)), good])), 'OK\n');
  await waitFor('the good frame', () => (b.rec.received.length === 1 ? true : undefined));
});

/** Like exchange(), but closes the connection itself once the answer line has come back. */
function exchangeThenClose(port: number, bytes: Buffer): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    socket.on('data', (chunk) => {
      text += chunk.toString('latin1');
      if (text.endsWith('\n')) setTimeout(() => socket.end(), 50);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(text));
    socket.write(bytes);
  });
}

test('a peer that accepts the connection but never answers the preface is dropped and tried again', async () => {
  let connections = 0;
  const blackHole = net.createServer((socket) => {
    connections++;
    socket.on('error', () => undefined);
    socket.resume();
  });
  servers.push(blackHole);
  const port = await new Promise<number>((resolve) => blackHole.listen(0, '127.0.0.1', () => resolve((blackHole.address() as net.AddressInfo).port)));
  const a = await startTransport(1n, CLUSTER, false, { handshakeTimeoutMs: 100 });
  a.transport.addPeer(6n, [`http://127.0.0.1:${port}`]);
  await waitFor('a reconnect after the handshake timeout', () => (connections >= 2 ? true : undefined));
  assert.equal(a.transport.streamProtocol(6n), undefined);
  a.transport.removePeer(6n);
});

test('the peer port closes a connection that shows no protocol in time, and a refused one that stays open', async () => {
  const b = await startTransport(2n, CLUSTER, false, { sniffTimeoutMs: 100 });
  const port = Number(new URL(b.url).port);
  const startedMs = performance.now();
  assert.equal(await exchange(port, Buffer.alloc(0)), '');
  assert.ok(performance.now() - startedMs < WAIT_MS);
  await waitFor('the rejection log', () => b.records.find((r) => r.msg === 'rejected connection' &&
    r.error === 'no protocol preface in time'));
  // A refused sender that keeps its half of the connection open is dropped after the linger time: what it
  // writes then is answered with a reset, which its next write reports (kept open, the server would read
  // and ignore it, and the writes would succeed).
  const refused = await new Promise<{ text: string; error: string | undefined }>((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    let text = '';
    let error: string | undefined;
    socket.on('data', (chunk: Buffer) => { text += chunk.toString('latin1'); });
    socket.on('end', () => setTimeout(() => {
      socket.write('late bytes');
      setTimeout(() => socket.write('more late bytes'), 100);
    }, REFUSAL_LINGER_MS + 300));
    socket.on('error', (e: NodeJS.ErrnoException) => { error = e.code; });
    socket.on('close', () => resolve({ text, error }));
    socket.write(encodePreface(0x99n, 1n, 2n));
  });
  assert.equal(refused.text, 'ERR cluster ID mismatch (local 10, remote 99)\n');
  assert.ok(refused.error === 'EPIPE' || refused.error === 'ECONNRESET', `error ${refused.error}`);
});
