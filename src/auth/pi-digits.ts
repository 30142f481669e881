/**
 * The fractional hexadecimal digits of pi as 32-bit words, computed once per process with the
 * Bailey–Borwein–Plouffe series in BigInt fixed point and cached. Blowfish initialises its P-array
 * (18 words) and four S-boxes (4 x 256 words) from these digits, in order.
 */
import { assert } from '../base/assert.js';

/** Extra low-order bits carried so the truncation error of every term stays below the last word. */
const GUARD_BITS = 64;

let cached: Uint32Array | undefined;

/**
 * The first `count` 32-bit words of pi's fractional part (0x243F6A88, 0x85A308D3, ...). The result is
 * shared: callers must not modify it. Throws AssertionError if `count` is not a positive safe integer.
 */
export function piFractionWords(count: number): Uint32Array {
  assert(Number.isSafeInteger(count) && count > 0, `word count must be positive, got ${count}`);
  if (cached === undefined || cached.length < count) cached = computeWords(Math.max(count, cached?.length ?? 0));
  return cached.subarray(0, count);
}

/**
 * pi = sum over k of 16^-k * (4/(8k+1) - 2/(8k+4) - 1/(8k+5) - 1/(8k+6)), evaluated with every term
 * scaled by 2^bits and truncated; terms vanish after bits/4 steps.
 */
function computeWords(count: number): Uint32Array {
  const bits = BigInt(count * 32 + GUARD_BITS);
  let sum = 0n;
  for (let k = 0n; ; k++) {
    const scale = (1n << bits) >> (4n * k);
    if (scale === 0n) break;
    // The four fractions over one common denominator: one big division per term instead of four.
    const a = 8n * k + 1n;
    const b = 8n * k + 4n;
    const c = 8n * k + 5n;
    const d = 8n * k + 6n;
    const numerator = 4n * b * c * d - 2n * a * c * d - a * b * d - a * b * c;
    sum += (scale * numerator) / (a * b * c * d);
  }
  const fraction = (sum & ((1n << bits) - 1n)) >> BigInt(GUARD_BITS);
  const words = new Uint32Array(count);
  for (let i = 0; i < count; i++) {
    words[i] = Number((fraction >> BigInt((count - 1 - i) * 32)) & 0xffffffffn);
  }
  assert(words[0] === 0x243f6a88, 'pi digits: first word is not 0x243F6A88');
  return words;
}
