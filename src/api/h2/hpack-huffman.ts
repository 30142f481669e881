/**
 * Decoder for HPACK's Huffman code (RFC 7541 §5.2, Appendix B). The code is canonical, so the table is
 * fully described by the code length of each of the 257 symbols (0-255 and EOS); codes are assigned in
 * order of (length, symbol). Used only to read the first header block of a connection (client-listener),
 * so it favours small size over speed.
 */

/** Code length in bits of symbols 0..256, as characters: 'A' = 5 bits, 'B' = 6, ... (RFC 7541 App. B). */
const CODE_LENGTHS = 'ISXXXXXXXTZXXZXXXXXXXXZXXXXXXXXXBFFHIBDGFFDGDBBBAAABBBBBBBCDKBHFIBCCCCCCCCCCCCCCCCCCCCCCDCDIOIJBKAB' +
  'ABABBBACCBBBABCBAABCCCCCKGJIXPRPPRRRSRSSSSSTSTTRSTSSSSQRSRSSTRQPRRSSQSRRTQRSSQQRQSRSSPRRRSRRSVVPORSRUVVVWWVTU' +
  'OQVWWVWTQQVVXWWWPTPQRQQSRRUUTTVSVWVVWWWWWXWWWWWVZ';
const SYMBOLS = 257;
const EOS = 256;
const LENGTH_MAX_BITS = 30;
/** At most 7 bits of padding (a prefix of EOS, all ones) may end a string. */
const PADDING_MAX_BITS = 7;

interface Canonical { firstCode: number[]; count: number[]; offset: number[]; sorted: number[] }

function buildCanonical(): Canonical {
  const lengths = [...CODE_LENGTHS].map((c) => c.charCodeAt(0) - 'A'.charCodeAt(0) + 5);
  if (lengths.length !== SYMBOLS) throw new Error('hpack huffman: bad length table');
  const sorted = [...lengths.keys()].sort((a, b) => lengths[a]! - lengths[b]! || a - b);
  const count = new Array<number>(LENGTH_MAX_BITS + 1).fill(0);
  for (const length of lengths) count[length]!++;
  const firstCode = new Array<number>(LENGTH_MAX_BITS + 1).fill(0);
  const offset = new Array<number>(LENGTH_MAX_BITS + 1).fill(0);
  let code = 0;
  let index = 0;
  for (let length = 1; length <= LENGTH_MAX_BITS; length++) {
    firstCode[length] = code;
    offset[length] = index;
    code = (code + count[length]!) * 2;
    index += count[length]!;
  }
  return { firstCode, count, offset, sorted };
}

let canonical: Canonical | undefined;

/**
 * Decodes a Huffman-coded HPACK string. Throws Error on an invalid encoding (EOS in the data, a code
 * longer than 30 bits, or padding that is longer than 7 bits or not all ones).
 */
export function decodeHuffman(bytes: Uint8Array): Buffer {
  canonical ??= buildCanonical();
  const { firstCode, count, offset, sorted } = canonical;
  const out: number[] = [];
  let code = 0;
  let length = 0;
  let allOnes = true;
  for (const byte of bytes) {
    for (let bit = 7; bit >= 0; bit--) {
      const value = (byte >> bit) & 1;
      code = code * 2 + value;
      length++;
      allOnes &&= value === 1;
      const rank = code - firstCode[length]!;
      if (rank >= 0 && rank < count[length]!) {
        const symbol = sorted[offset[length]! + rank]!;
        if (symbol === EOS) throw new Error('hpack huffman: EOS in string');
        out.push(symbol);
        code = 0;
        length = 0;
        allOnes = true;
      } else if (length >= LENGTH_MAX_BITS) {
        throw new Error('hpack huffman: invalid code');
      }
    }
  }
  if (length > PADDING_MAX_BITS || !allOnes) throw new Error('hpack huffman: bad padding');
  return Buffer.from(out);
}
