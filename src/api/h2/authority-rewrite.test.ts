import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AuthorityRewriter, rewriteBlock } from './authority-rewrite.js';

const str = (s: string): Buffer => Buffer.concat([Buffer.from([s.length]), Buffer.from(s, 'latin1')]);

test('literal :authority values are replaced; other fields are copied byte for byte', () => {
  const indexed = Buffer.from([0x83]); // :method POST (static index 3)
  const authority = Buffer.concat([Buffer.from([0x41]), str('http://127.0.0.1:2379')]); // incremental indexing, name idx 1
  const path = Buffer.concat([Buffer.from([0x04]), str('/etcdserverpb.KV/Range')]); // without indexing, name idx 4
  const newName = Buffer.concat([Buffer.from([0x40]), str('te'), str('trailers')]); // new name literal
  const sizeUpdate = Buffer.from([0x3f, 0xe1, 0x1f]); // dynamic table size update (multi-byte integer)
  const block = Buffer.concat([sizeUpdate, indexed, authority, path, newName]);
  const rewritten = rewriteBlock(block);
  assert.deepEqual(rewritten, Buffer.concat([sizeUpdate, indexed, Buffer.from([0x41]), str('tetcd'), path, newName]));
});

test('never-indexed and huffman-flagged authority values are replaced too', () => {
  const block = Buffer.concat([Buffer.from([0x11]), Buffer.from([0x80 | 3, 1, 2, 3])]);
  assert.deepEqual(rewriteBlock(block), Buffer.concat([Buffer.from([0x11]), str('tetcd')]));
});

test('frames: preface and DATA pass through; HEADERS + CONTINUATION are merged and rewritten', () => {
  const preface = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
  const frame = (type: number, flags: number, stream: number, payload: Buffer): Buffer => {
    const head = Buffer.alloc(9);
    head.writeUIntBE(payload.length, 0, 3);
    head[3] = type; head[4] = flags; head.writeUInt32BE(stream, 5);
    return Buffer.concat([head, payload]);
  };
  const settings = frame(0x4, 0, 0, Buffer.alloc(0));
  const authority = Buffer.concat([Buffer.from([0x41]), str('http://x:1')]);
  const headers = frame(0x1, 0x1, 1, authority.subarray(0, 4)); // END_STREAM, no END_HEADERS
  const continuation = frame(0x9, 0x4, 1, authority.subarray(4));
  const data = frame(0x0, 0x1, 1, Buffer.from('abc'));
  const input = Buffer.concat([preface, settings, headers, continuation, data]);
  const rewriter = new AuthorityRewriter();
  // Feed byte by byte: framing must not depend on chunk boundaries.
  const out = Buffer.concat([...input].map((b) => rewriter.push(Buffer.from([b]))));
  const expectedBlock = Buffer.concat([Buffer.from([0x41]), str('tetcd')]);
  assert.deepEqual(out, Buffer.concat([preface, settings, frame(0x1, 0x5, 1, expectedBlock), data]));
});
