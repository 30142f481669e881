/**
 * Go formatting and parsing rules etcdctl's output depends on: strconv.Quote (%q), time.Duration's
 * String and ParseDuration, strconv.ParseInt/ParseBool error texts, go-humanize's SI byte sizes and
 * encoding/json's string escaping. Pure functions; errors are thrown as GoParseError with Go's text.
 */

/** A parse failure whose message is exactly what Go's strconv/time packages would report. */
export class GoParseError extends Error {
  override readonly name = 'GoParseError';
}

const NANOS_PER_MICRO = 1_000n;
const NANOS_PER_MILLI = 1_000_000n;
const NANOS_PER_SECOND = 1_000_000_000n;

function isPrintableRune(cp: number): boolean {
  if (cp < 0x20 || cp === 0x7f) return false;
  if (cp >= 0x80 && cp < 0xa0) return false;
  if (cp === 0xad) return false;
  // Treat surrogates, private use and unassigned (approximated via \p{C}) as non-printable.
  return cp === 0x20 || !/[\p{C}\p{Z}]/u.test(String.fromCodePoint(cp));
}

/** Go's strconv.Quote of a byte string (invalid UTF-8 bytes become \xNN). Throws nothing. */
export function goQuote(bytes: Uint8Array | string): string {
  const data = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes;
  let out = '"';
  let i = 0;
  while (i < data.length) {
    const [cp, size] = decodeRune(data, i);
    if (cp < 0) {
      out += `\\x${data[i]!.toString(16).padStart(2, '0')}`;
      i += 1;
      continue;
    }
    i += size;
    out += quoteRune(cp);
  }
  return `${out}"`;
}

function quoteRune(cp: number): string {
  switch (cp) {
    case 0x22: return '\\"';
    case 0x5c: return '\\\\';
    case 0x07: return '\\a';
    case 0x08: return '\\b';
    case 0x0c: return '\\f';
    case 0x0a: return '\\n';
    case 0x0d: return '\\r';
    case 0x09: return '\\t';
    case 0x0b: return '\\v';
    default:
      if (isPrintableRune(cp)) return String.fromCodePoint(cp);
      if (cp < 0x80) return `\\x${cp.toString(16).padStart(2, '0')}`;
      if (cp < 0x10000) return `\\u${cp.toString(16).padStart(4, '0')}`;
      return `\\U${cp.toString(16).padStart(8, '0')}`;
  }
}

/** Decodes one UTF-8 rune at `at`: [codepoint, size], or [-1, 1] for an invalid byte. */
export function decodeRune(data: Uint8Array, at: number): [number, number] {
  const b0 = data[at]!;
  if (b0 < 0x80) return [b0, 1];
  const need = b0 >= 0xf0 && b0 <= 0xf4 ? 3 : b0 >= 0xe0 && b0 < 0xf0 ? 2 : b0 >= 0xc2 && b0 < 0xe0 ? 1 : -1;
  if (need < 0 || at + need >= data.length) return [-1, 1];
  let cp = b0 & (need === 1 ? 0x1f : need === 2 ? 0x0f : 0x07);
  for (let k = 1; k <= need; k++) {
    const b = data[at + k]!;
    if ((b & 0xc0) !== 0x80) return [-1, 1];
    cp = (cp << 6) | (b & 0x3f);
  }
  const minByNeed = [0, 0x80, 0x800, 0x10000];
  if (cp < minByNeed[need]! || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return [-1, 1];
  return [cp, need + 1];
}

/** Decodes bytes as Go's string(b) shown through fmt (invalid UTF-8 becomes U+FFFD). */
export function goString(bytes: Uint8Array): string {
  return new TextDecoder('utf-8').decode(bytes);
}

function trimFraction(digits: string): string {
  return digits.replace(/0+$/, '');
}

function fractionText(value: bigint, unit: bigint, width: number): string {
  const whole = value / unit;
  const frac = trimFraction((value % unit).toString().padStart(width, '0'));
  return frac === '' ? whole.toString() : `${whole}.${frac}`;
}

/** Go's time.Duration.String for a duration in nanoseconds. Throws nothing. */
export function goDuration(nanos: bigint): string {
  if (nanos === 0n) return '0s';
  const negative = nanos < 0n;
  const d = negative ? -nanos : nanos;
  let text: string;
  if (d < NANOS_PER_MICRO) text = `${d}ns`;
  else if (d < NANOS_PER_MILLI) text = `${fractionText(d, NANOS_PER_MICRO, 3)}µs`;
  else if (d < NANOS_PER_SECOND) text = `${fractionText(d, NANOS_PER_MILLI, 6)}ms`;
  else {
    const hours = d / (3600n * NANOS_PER_SECOND);
    const minutes = (d / (60n * NANOS_PER_SECOND)) % 60n;
    const seconds = fractionText(d % (60n * NANOS_PER_SECOND), NANOS_PER_SECOND, 9);
    text = hours > 0n ? `${hours}h${minutes}m${seconds}s` : minutes > 0n ? `${minutes}m${seconds}s` : `${seconds}s`;
  }
  return negative ? `-${text}` : text;
}

const DURATION_UNITS_NS: Readonly<Record<string, number>> = {
  ns: 1, us: 1e3, 'µs': 1e3, 'μs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9,
};

/** Go's time.ParseDuration, returning milliseconds. Throws GoParseError with Go's message. */
export function parseGoDurationMs(text: string): number {
  const invalid = (): GoParseError => new GoParseError(`time: invalid duration ${goQuote(text)}`);
  let rest = text;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    sign = rest.startsWith('-') ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') throw invalid();
  let totalNs = 0;
  while (rest !== '') {
    const num = /^(\d*)(\.\d*)?/.exec(rest)!;
    if (num[0] === '' || num[0] === '.') throw invalid();
    rest = rest.slice(num[0].length);
    const unit = /^[^\d.]*/.exec(rest)![0];
    if (unit === '') throw new GoParseError(`time: missing unit in duration ${goQuote(text)}`);
    const scale = DURATION_UNITS_NS[unit];
    if (scale === undefined) throw new GoParseError(`time: unknown unit ${goQuote(unit)} in duration ${goQuote(text)}`);
    totalNs += Number(num[0]) * scale;
    rest = rest.slice(unit.length);
  }
  return (sign * totalNs) / 1e6;
}

const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);

/** Go's strconv.ParseInt(text, base, 64). Throws GoParseError with Go's message. */
export function parseGoInt(text: string, base: 10 | 16 = 10): bigint {
  const digits = base === 10 ? /^[+-]?\d+$/ : /^[+-]?[0-9a-fA-F]+$/;
  if (!digits.test(text)) throw new GoParseError(`strconv.ParseInt: parsing ${goQuote(text)}: invalid syntax`);
  const negative = text.startsWith('-');
  const body = text.replace(/^[+-]/, '');
  const magnitude = base === 10 ? BigInt(body) : BigInt(`0x${body}`);
  const value = negative ? -magnitude : magnitude;
  if (value > INT64_MAX || value < INT64_MIN) {
    throw new GoParseError(`strconv.ParseInt: parsing ${goQuote(text)}: value out of range`);
  }
  return value;
}

/** Go's strconv.ParseBool. Throws GoParseError with Go's message. */
export function parseGoBool(text: string): boolean {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(text)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(text)) return false;
  throw new GoParseError(`strconv.ParseBool: parsing ${goQuote(text)}: invalid syntax`);
}

/** Formats like Go's %.Nf (round half to even on exact binary ties, as Go does). */
export function goFixed(value: number, decimals: number): string {
  const scale = 10 ** decimals;
  const scaled = value * scale;
  const floor = Math.floor(scaled);
  const diff = scaled - floor;
  let rounded = diff > 0.5 ? floor + 1 : diff < 0.5 ? floor : (floor % 2 === 0 ? floor : floor + 1);
  if (Math.abs(scaled) > 1e15) rounded = Math.round(scaled);
  return (rounded / scale).toFixed(decimals);
}

const SI_SIZES = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB'];

/** go-humanize's Bytes (SI, base 1000): 20480 → "20 kB". Throws nothing. */
export function humanizeBytes(size: number): string {
  if (size < 10) return `${size} B`;
  const exponent = Math.floor(Math.log(size) / Math.log(1000));
  const suffix = SI_SIZES[exponent] ?? '?';
  const value = Math.floor((size / 1000 ** exponent) * 10 + 0.5) / 10;
  return `${goFixed(value, value < 10 ? 1 : 0)} ${suffix}`;
}

/** encoding/json's string encoding (HTML-safe escapes, invalid UTF-8 → U+FFFD). Throws nothing. */
export function goJsonString(text: string): string {
  let out = '"';
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (cp < 0x20 || ch === '<' || ch === '>' || ch === '&' || cp === 0x2028 || cp === 0x2029) {
      out += `\\u${cp.toString(16).padStart(4, '0')}`;
    } else out += ch;
  }
  return `${out}"`;
}
