/**
 * bcrypt (Provos & Mazières' EksBlowfish password hash), written from the published algorithm. Hashes
 * are the modular-crypt strings Go's golang.org/x/crypto/bcrypt produces and accepts:
 * `$2a$10$<22 chars salt><31 chars hash>` (also `$2b$`/`$2y$` on input). Blowfish's initial state is
 * the hexadecimal expansion of pi (pi-digits.ts). This is CPU-bound: the server runs it in worker
 * threads (bcrypt-pool.ts), never on the event loop.
 */
import { assert } from '../base/assert.js';
import { piFractionWords } from './pi-digits.js';

export const BCRYPT_COST_MIN = 4;
export const BCRYPT_COST_MAX = 31;
export const BCRYPT_COST_DEFAULT = 10;
export const BCRYPT_SALT_BYTES = 16;
/** bcrypt uses at most this many key bytes (the password plus its terminating NUL). */
const KEY_BYTES_MAX = 72;
const P_WORDS = 18;
const S_WORDS = 1024;
const HASH_BYTES = 23;
/** "OrpheanBeholderScryDoubt" as six big-endian words: the text bcrypt encrypts 64 times. */
const MAGIC = new TextEncoder().encode('OrpheanBeholderScryDoubt');
const ALPHABET = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const HASH_PATTERN = /^\$2([aby])\$(\d\d)\$([./A-Za-z0-9]{22})([./A-Za-z0-9]{31})$/;

class EksBlowfish {
  // Int32Array keeps every word a small integer for V8 (no heap numbers in the hot loop).
  readonly p: Int32Array;
  readonly s: Int32Array;

  constructor() {
    const pi = piFractionWords(P_WORDS + S_WORDS);
    this.p = new Int32Array(pi.slice(0, P_WORDS).buffer);
    this.s = new Int32Array(pi.slice(P_WORDS, P_WORDS + S_WORDS).buffer);
  }

  /** Encrypts the block (lr[off], lr[off+1]) in place. */
  encrypt(lr: Int32Array, off: number): void {
    const p = this.p;
    const s = this.s;
    let l = lr[off]! ^ p[0]!;
    let r = lr[off + 1]!;
    for (let i = 1; i <= 16; i += 2) {
      // Blowfish's F: ((S0[a] + S1[b]) ^ S2[c]) + S3[d] over the bytes a..d of the half-block.
      r ^= ((((s[l >>> 24]! + s[256 | ((l >>> 16) & 255)]!) | 0) ^ s[512 | ((l >>> 8) & 255)]!)
        + s[768 | (l & 255)]!) ^ p[i]!;
      l ^= ((((s[r >>> 24]! + s[256 | ((r >>> 16) & 255)]!) | 0) ^ s[512 | ((r >>> 8) & 255)]!)
        + s[768 | (r & 255)]!) ^ p[i + 1]!;
    }
    lr[off] = r ^ p[17]!;
    lr[off + 1] = l;
  }

  /** Blowfish's key schedule mixed with `salt` (all-zero salt when undefined), as bcrypt's ExpandKey. */
  expand(key: Uint8Array, salt: Uint8Array | undefined): void {
    const keyCursor = { pos: 0 };
    for (let i = 0; i < P_WORDS; i++) this.p[i] = this.p[i]! ^ streamWord(key, keyCursor);
    const block = new Int32Array(2);
    const saltCursor = { pos: 0 };
    this.fill(this.p, block, salt, saltCursor);
    this.fill(this.s, block, salt, saltCursor);
  }

  /** Replaces `target` pairwise with successive encryptions of the running block (salt-mixed if given). */
  private fill(target: Int32Array, block: Int32Array, salt: Uint8Array | undefined, cursor: { pos: number }): void {
    const p = this.p;
    const s = this.s;
    const p17 = p[17]!;
    let l = block[0]!;
    let r = block[1]!;
    for (let i = 0; i < target.length; i += 2) {
      if (salt !== undefined) {
        l ^= streamWord(salt, cursor);
        r ^= streamWord(salt, cursor);
      }
      l ^= p[0]!;
      for (let k = 1; k <= 16; k += 2) {
        r ^= ((((s[l >>> 24]! + s[256 | ((l >>> 16) & 255)]!) | 0) ^ s[512 | ((l >>> 8) & 255)]!)
          + s[768 | (l & 255)]!) ^ p[k]!;
        l ^= ((((s[r >>> 24]! + s[256 | ((r >>> 16) & 255)]!) | 0) ^ s[512 | ((r >>> 8) & 255)]!)
          + s[768 | (r & 255)]!) ^ p[k + 1]!;
      }
      const t = r ^ p17;
      r = l;
      l = t;
      target[i] = l;
      target[i + 1] = r;
    }
    block[0] = l;
    block[1] = r;
  }
}

/** The next big-endian word of `data` read cyclically. */
function streamWord(data: Uint8Array, cursor: { pos: number }): number {
  let word = 0;
  for (let i = 0; i < 4; i++) {
    word = (word << 8) | data[cursor.pos]!;
    cursor.pos = (cursor.pos + 1) % data.length;
  }
  return word;
}

/** The 23 raw hash bytes for `password` (UTF-8 bytes) under `salt` and `cost`. */
function rawHash(password: Uint8Array, salt: Uint8Array, cost: number): Uint8Array {
  const key = new Uint8Array(Math.min(password.length + 1, KEY_BYTES_MAX));
  key.set(password.subarray(0, key.length - 1 === password.length ? password.length : key.length));
  const state = new EksBlowfish();
  state.expand(key, salt);
  const rounds = 2 ** cost;
  for (let i = 0; i < rounds; i++) {
    state.expand(key, undefined);
    state.expand(salt, undefined);
  }
  const text = new Int32Array(6);
  const view = new DataView(MAGIC.buffer, MAGIC.byteOffset, MAGIC.byteLength);
  for (let i = 0; i < 6; i++) text[i] = view.getInt32(i * 4);
  for (let round = 0; round < 64; round++) {
    for (let j = 0; j < 6; j += 2) state.encrypt(text, j);
  }
  const out = new Uint8Array(24);
  const outView = new DataView(out.buffer);
  for (let i = 0; i < 6; i++) outView.setInt32(i * 4, text[i]!);
  return out.subarray(0, HASH_BYTES);
}

/** Computes and caches Blowfish's initial state (a few hundred ms) ahead of the first hash. */
export function warmUpBcrypt(): void {
  piFractionWords(P_WORDS + S_WORDS);
}

/** bcrypt's base64: its own alphabet, no padding. */
export function bcryptBase64Encode(data: Uint8Array): string {
  let out = '';
  for (let i = 0; i < data.length; i += 3) {
    const b0 = data[i]!;
    const b1 = data[i + 1];
    const b2 = data[i + 2];
    out += ALPHABET[b0 >>> 2]!;
    out += ALPHABET[((b0 & 3) << 4) | ((b1 ?? 0) >>> 4)]!;
    if (b1 === undefined) break;
    out += ALPHABET[((b1 & 15) << 2) | ((b2 ?? 0) >>> 6)]!;
    if (b2 === undefined) break;
    out += ALPHABET[b2 & 63]!;
  }
  return out;
}

/** Decodes bcrypt's base64 into `length` bytes. Throws Error on a character outside the alphabet. */
export function bcryptBase64Decode(text: string, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let bits = 0;
  let acc = 0;
  let n = 0;
  for (const ch of text) {
    const v = ALPHABET.indexOf(ch);
    if (v < 0) throw new Error('bcrypt: invalid base64 character');
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      if (n < length) out[n++] = (acc >>> bits) & 255;
    }
  }
  return out;
}

/**
 * Hashes `password` with a 16-byte `salt` at `cost` into a `$2a$` string (Go's format).
 * Throws AssertionError on a cost outside [4, 31] or a salt of the wrong size.
 */
export function bcryptHash(password: Uint8Array, cost: number, salt: Uint8Array): string {
  assert(Number.isInteger(cost) && cost >= BCRYPT_COST_MIN && cost <= BCRYPT_COST_MAX, `bcrypt cost ${cost} out of range`);
  assert(salt.length === BCRYPT_SALT_BYTES, 'bcrypt salt must be 16 bytes');
  const costText = String(cost).padStart(2, '0');
  return `$2a$${costText}$${bcryptBase64Encode(salt).slice(0, 22)}${bcryptBase64Encode(rawHash(password, salt, cost))}`;
}

/** True when `password` matches the modular-crypt `hash`; false for a malformed hash. */
export function bcryptVerify(hash: string, password: Uint8Array): boolean {
  const match = HASH_PATTERN.exec(hash);
  if (match === null) return false;
  const cost = Number(match[2]);
  if (cost < BCRYPT_COST_MIN || cost > BCRYPT_COST_MAX) return false;
  const salt = bcryptBase64Decode(match[3]!, BCRYPT_SALT_BYTES);
  const expected = bcryptBase64Encode(rawHash(password, salt, cost));
  return constantTimeEqual(expected, match[4]!);
}

function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
