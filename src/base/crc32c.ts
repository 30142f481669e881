/**
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) with slice-by-8 tables. Pure: no node imports.
 *
 * Update semantics match Go's `crc32.Update(previous, castagnoliTable, data)`: the pre/post inversion
 * is applied inside, so `crc32c(b, crc32c(a)) === crc32c(concat(a, b))`.
 */

const CASTAGNOLI_REFLECTED = 0x82f63b78;
const SLICES = 8;
const TABLE_SIZE = 256;

function buildTables(): Int32Array {
  // Int32Array (not Uint32Array) keeps every value in V8's small-integer range on the hot path.
  const tables = new Int32Array(SLICES * TABLE_SIZE);
  for (let n = 0; n < TABLE_SIZE; n++) {
    let c = n;
    for (let bit = 0; bit < 8; bit++) c = c & 1 ? (c >>> 1) ^ CASTAGNOLI_REFLECTED : c >>> 1;
    tables[n] = c;
  }
  for (let n = 0; n < TABLE_SIZE; n++) {
    let c = tables[n]!;
    for (let k = 1; k < SLICES; k++) {
      c = tables[c & 0xff]! ^ (c >>> 8);
      tables[k * TABLE_SIZE + n] = c;
    }
  }
  return tables;
}

const T = buildTables();

/**
 * Returns the CRC-32C of `data` continuing from `previous` (0 to start), as an unsigned 32-bit number.
 * Throws nothing.
 */
export function crc32c(data: Uint8Array, previous = 0): number {
  let crc = ~previous | 0;
  let i = 0;
  const length = data.length;
  const end8 = length - (length % SLICES);
  // Slice-by-8: fold 8 input bytes per step through 8 tables. All arithmetic stays int32.
  while (i < end8) {
    const lo = crc ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24));
    const hi = data[i + 4]! | (data[i + 5]! << 8) | (data[i + 6]! << 16) | (data[i + 7]! << 24);
    crc =
      T[1792 + (lo & 0xff)]! ^ T[1536 + ((lo >>> 8) & 0xff)]! ^
      T[1280 + ((lo >>> 16) & 0xff)]! ^ T[1024 + (lo >>> 24)]! ^
      T[768 + (hi & 0xff)]! ^ T[512 + ((hi >>> 8) & 0xff)]! ^
      T[256 + ((hi >>> 16) & 0xff)]! ^ T[hi >>> 24]!;
    i += SLICES;
  }
  while (i < length) {
    crc = T[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
    i++;
  }
  return ~crc >>> 0;
}
