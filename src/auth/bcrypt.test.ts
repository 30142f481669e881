import { test } from 'node:test';
import assert from 'node:assert/strict';
import { piFractionWords } from './pi-digits.js';
import { bcryptBase64Decode, bcryptBase64Encode, bcryptHash, bcryptVerify } from './bcrypt.js';
import { BcryptPool } from './bcrypt-pool.js';

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
const LONG = 'x'.repeat(80);

/**
 * [password, hash]: OpenBSD/OpenWall published vectors plus hashes from libxcrypt's crypt(3) (the same
 * algorithm Go's golang.org/x/crypto/bcrypt implements), including a password longer than 72 bytes.
 */
const VECTORS: Array<[string, string]> = [
  ['', '$2a$05$CCCCCCCCCCCCCCCCCCCCC.7uG0VCzI2bS7j6ymqJi9CdcdxiRTWNy'],
  ['U*U', '$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW'],
  ['password', '$2a$05$CCCCCCCCCCCCCCCCCCCCC.aDV7CQarKHMuNfh2oJkFzsHZya4whFe'],
  [LONG, '$2a$05$CCCCCCCCCCCCCCCCCCCCC.D7RDOYXakZhsFmh/LdqQNx0kQ424AFS'],
  ['', '$2b$06$DCq7YPn5Rq63x1Lad4cll.TV4S6ytwfsfvkgY8jIucDrjc8deX1s.'],
  ['U*U', '$2b$06$DCq7YPn5Rq63x1Lad4cll.FGS1xo1Hoi6VezM26F3cMfDzWDhHRka'],
  ['password', '$2a$04$abcdefghijklmnopqrstuughE8Ev8uGFaUgY2cNEySvxngrb/Jzdm'],
  [LONG, '$2a$04$abcdefghijklmnopqrstuubzadhGtS2zEF.gu0yd0opP6cVzb.e0i'],
  ['hello', '$2a$10$XajjQvNhvvRt5GSeFk1xFeoJTupFlBhcIx0qKxso7CKs3hgSmGZTK'],
];

test('pi digits give Blowfish its published initial words', () => {
  const words = piFractionWords(18 + 1024);
  assert.equal(words[0], 0x243f6a88);
  assert.equal(words[1], 0x85a308d3);
  assert.equal(words[17], 0x8979fb1b); // last P-array word
  assert.equal(words[18], 0xd1310ba6); // S-box 0, word 0
  assert.equal(words[18 + 1023], 0x3ac372e6); // S-box 3, word 255
});

test('bcrypt matches the reference vectors', () => {
  for (const [password, hash] of VECTORS) {
    assert.ok(bcryptVerify(hash, utf8(password)), `verify ${JSON.stringify(password)} against ${hash}`);
    assert.ok(!bcryptVerify(hash, utf8('!' + password)), `wrong password accepted for ${hash}`);
    const cost = Number(hash.slice(4, 6));
    const salt = bcryptBase64Decode(hash.slice(7, 29), 16);
    assert.equal(bcryptHash(utf8(password), cost, salt), `$2a$${hash.slice(4)}`);
  }
});

test('passwords agree on their first 72 bytes only, as Go bcrypt', () => {
  const salt = new Uint8Array(16).fill(7);
  const a = bcryptHash(utf8('y'.repeat(72) + 'a'), 4, salt);
  assert.ok(bcryptVerify(a, utf8('y'.repeat(72) + 'b')));
  assert.ok(!bcryptVerify(a, utf8('y'.repeat(71))));
});

test('malformed hashes never verify', () => {
  for (const hash of ['', '$2a$05$short', '$2x$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW',
    '$2a$03$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW']) {
    assert.equal(bcryptVerify(hash, utf8('U*U')), false, hash);
  }
});

test('bcrypt base64 round-trips', () => {
  const bytes = Uint8Array.from({ length: 23 }, (_, i) => (i * 37 + 11) & 255);
  assert.deepEqual(bcryptBase64Decode(bcryptBase64Encode(bytes), 23), bytes);
});

test('the worker pool hashes and verifies off the event loop, and bounds its queue', async () => {
  const pool = new BcryptPool(1, 2);
  try {
    const hash = await pool.hash('secret', 4);
    assert.match(hash, /^\$2a\$04\$/);
    // One task runs, two wait; a fourth is refused while the queue is full.
    const pending = [pool.verify(hash, 'secret'), pool.verify(hash, 'nope'), pool.verify(hash, 'secret')];
    await assert.rejects(pool.verify(hash, 'more'), /too many requests/);
    assert.deepEqual(await Promise.all(pending), [true, false, true]);
  } finally {
    await pool.close();
  }
});
