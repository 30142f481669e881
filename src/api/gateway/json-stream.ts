/**
 * Splits a byte stream of concatenated JSON values (`{...}{...}` or newline separated, as a streaming
 * grpc-gateway request body carries them) into one text per top-level value.
 */

/** A single buffered value larger than this is refused (bounded memory). */
export const JSON_VALUE_CHARS_MAX = 64 * 1024 * 1024;

export class JsonValueSplitter {
  private buffer = '';
  private depth = 0;
  private inString = false;
  private escaped = false;
  private start = -1;
  private scanned = 0;

  /** Appends text; returns the complete top-level values now available. Throws Error if one is too large. */
  push(text: string): string[] {
    this.buffer += text;
    const out: string[] = [];
    for (let i = this.scanned; i < this.buffer.length; i++) this.scan(i, out);
    if (this.start < 0) {
      this.buffer = this.buffer.slice(this.buffer.length);
      this.scanned = 0;
    } else {
      this.buffer = this.buffer.slice(this.start);
      this.scanned = this.buffer.length;
      this.start = 0;
    }
    if (this.buffer.length > JSON_VALUE_CHARS_MAX) throw new Error('request message too large');
    return out;
  }

  /** Whatever is left that is not whitespace (an incomplete value at end of input). */
  rest(): string {
    return this.buffer.trim();
  }

  private scan(i: number, out: string[]): void {
    const ch = this.buffer[i]!;
    if (this.inString) {
      if (this.escaped) this.escaped = false;
      else if (ch === '\\') this.escaped = true;
      else if (ch === '"') this.inString = false;
      return;
    }
    if (ch === '"') this.inString = true;
    if (ch === '{' || ch === '[') {
      if (this.depth === 0) this.start = i;
      this.depth++;
    } else if ((ch === '}' || ch === ']') && this.depth > 0) {
      this.depth--;
      if (this.depth === 0) {
        out.push(this.buffer.slice(this.start, i + 1));
        this.start = -1;
      }
    }
  }
}
