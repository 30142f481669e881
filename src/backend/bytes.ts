/**
 * Byte-string helpers. Pending-batch and index keys are "binary" (latin1) JS strings: one char per
 * byte, so JS string order (UTF-16 code units all below 256) equals bytewise order of the bytes.
 */

/** Converts bytes to a latin1 string with one char per byte. Never throws. */
export function bytesToBinaryString(bytes: Uint8Array): string {
  if (bytes.length <= SHORT_BYTES_MAX) return String.fromCharCode.apply(null, bytes as unknown as number[]);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

/** Up to this length a char-code loop beats creating a Buffer view. */
const SHORT_BYTES_MAX = 48;

/** Converts a latin1 string (one char per byte, all chars < 256) back to a fresh byte array. */
export function binaryStringToBytes(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'latin1'));
}

/** Bytewise comparison: negative, zero or positive like memcmp with length as tie breaker. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}

/** Strict string comparison suitable for Array.prototype.sort on binary strings. */
export function compareBinaryStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
