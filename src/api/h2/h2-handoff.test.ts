import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as http2 from 'node:http2';
import * as net from 'node:net';
import { decodeHuffman } from './hpack-huffman.js';
import { blockNeedsRewrite } from './authority-rewrite.js';
import { H2Sniffer, SERVER_SETTINGS_EMPTY } from './h2-handoff.js';

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
const SETTINGS_ACK = Buffer.from([0, 0, 0, 4, 1, 0, 0, 0, 0]);

function frame(type: number, flags: number, streamId: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(streamId, 5);
  return Buffer.concat([head, payload]);
}

/** A literal :authority (static name index 1, without indexing), plain text. */
function authorityBlock(value: string): Buffer {
  const bytes = Buffer.from(value, 'latin1');
  return Buffer.concat([Buffer.from([0x01, bytes.length]), bytes]);
}

/** Captures what node's own HTTP/2 client (nghttp2's Huffman encoder) sends for one request. */
async function clientBytes(authority: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const server = net.createServer((socket) => {
    socket.write(SERVER_SETTINGS_EMPTY);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const session = http2.connect(`http://127.0.0.1:${port}`);
  session.on('error', () => undefined);
  const request = session.request({ ':path': '/etcdserverpb.KV/Range', ':authority': authority,
    'content-type': 'application/grpc' });
  request.on('error', () => undefined);
  request.end();
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    const all = Buffer.concat(chunks);
    if (all.length > 0 && new H2Sniffer().push(all) !== undefined) break;
  }
  session.destroy();
  server.close();
  return Buffer.concat(chunks);
}

describe('hpack huffman', () => {
  it('decodes strings encoded by nghttp2 (through the sniffer on real client bytes)', async () => {
    const bytes = await clientBytes('127.0.0.1:2379');
    const verdict = new H2Sniffer().push(bytes);
    assert.equal(verdict?.path, 'native');
    const slash = await clientBytes('http://127.0.0.1:2379');
    assert.equal(new H2Sniffer().push(slash)?.path, 'relay');
  });

  it('rejects EOS and bad padding', () => {
    assert.throws(() => decodeHuffman(Buffer.from([0xff, 0xff, 0xff, 0xff])), /EOS|padding|invalid/);
    assert.throws(() => decodeHuffman(Buffer.from([0x00])), /padding/); // '0' (5 bits) then 000 padding
  });

  it('decodes a known string', () => {
    // RFC 7541 C.4.1: "www.example.com" Huffman-coded.
    const encoded = Buffer.from('f1e3c2e5f23a6ba0ab90f4ff', 'hex');
    assert.equal(decodeHuffman(encoded).toString('latin1'), 'www.example.com');
  });
});

describe('blockNeedsRewrite', () => {
  it('accepts host:port and refuses a URL', () => {
    assert.equal(blockNeedsRewrite(authorityBlock('127.0.0.1:2379')), false);
    assert.equal(blockNeedsRewrite(authorityBlock('http://127.0.0.1:2379')), true);
    assert.equal(blockNeedsRewrite(Buffer.from([0x82, 0x84])), false); // indexed :method GET, :path /
    assert.equal(blockNeedsRewrite(Buffer.from([0x01, 0x10])), true); // truncated string
  });
});

describe('H2Sniffer', () => {
  const headers = (value: string): Buffer => frame(1, 0x4 | 0x1, 1, authorityBlock(value));

  it('waits for both the SETTINGS ACK and the first header block, and drops only that ACK', () => {
    const sniffer = new H2Sniffer();
    const settings = frame(4, 0, 0, Buffer.alloc(0));
    assert.equal(sniffer.push(Buffer.concat([PREFACE, settings])), undefined);
    assert.equal(sniffer.push(headers('localhost:1')), undefined);
    const verdict = sniffer.push(Buffer.concat([SETTINGS_ACK, SETTINGS_ACK.subarray(0, 4)]));
    assert.equal(verdict?.path, 'native');
    // Kept: preface, client SETTINGS, HEADERS, and the partial frame; the first ACK is gone.
    assert.deepEqual(verdict.bytes, Buffer.concat([PREFACE, settings, headers('localhost:1'),
      SETTINGS_ACK.subarray(0, 4)]));
  });

  it('joins CONTINUATION frames and sends URL authorities to the relay', () => {
    const block = authorityBlock('http://h:1');
    const sniffer = new H2Sniffer();
    const verdict = sniffer.push(Buffer.concat([PREFACE, SETTINGS_ACK, frame(1, 0x1, 1, block.subarray(0, 3)),
      frame(9, 0x4, 1, block.subarray(3))]));
    assert.equal(verdict?.path, 'relay');
  });

  it('sends a bad preface to the relay at once', () => {
    assert.equal(new H2Sniffer().push(Buffer.from('PRI * HTTP/1.1\r\n\r\nxxxxxxxxxxxxxxx'))?.path, 'relay');
  });
});
