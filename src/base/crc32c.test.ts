import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32c } from './crc32c.js';

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Bit-at-a-time reference implementation to check the sliced tables against. */
function slowCrc32c(data: Uint8Array, previous = 0): number {
  let crc = ~previous >>> 0;
  for (const byte of data) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return ~crc >>> 0;
}

test('known vectors', () => {
  assert.equal(crc32c(ascii('123456789')), 0xe3069283);
  assert.equal(crc32c(new Uint8Array(0)), 0);
  assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa);
  assert.equal(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43);
  const ascending = new Uint8Array(32).map((_, i) => i);
  assert.equal(crc32c(ascending), 0x46dd794e);
});

test('result is unsigned 32-bit', () => {
  for (let n = 0; n < 64; n++) {
    const v = crc32c(ascii('x'.repeat(n)));
    assert.ok(v >= 0 && v <= 0xffffffff && Number.isInteger(v));
  }
});

test('incremental: crc32c(b, crc32c(a)) === crc32c(a ++ b), and matches the reference', () => {
  const seed = Number(process.env['SEED'] ?? Date.now() % 1_000_000);
  console.log('SEED=' + seed);
  let x = seed >>> 0 || 1;
  const next = (): number => { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; return (x >>> 0) & 0xff; };
  for (let round = 0; round < 200; round++) {
    const whole = new Uint8Array(next() * 3 + round).map(() => next());
    const cut = whole.length === 0 ? 0 : next() % (whole.length + 1);
    const a = whole.subarray(0, cut);
    const b = whole.subarray(cut);
    assert.equal(crc32c(b, crc32c(a)), crc32c(whole));
    assert.equal(crc32c(whole), slowCrc32c(whole));
    assert.equal(crc32c(b, 0x12345678), slowCrc32c(b, 0x12345678));
  }
});
