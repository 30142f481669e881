/** Reading standard input: whole (put's value) or line by line (txn), the way bufio.Reader does. */

/** Reads all of stdin. Resolves with an empty buffer when stdin is closed or empty. */
export async function readAllStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}

/** Line reader over a byte stream; readLine() resolves null at EOF before a newline (Go's io.EOF). */
export class LineReader {
  private buffer = Buffer.alloc(0);
  private ended = false;
  private readonly iterator: AsyncIterator<Buffer | string>;

  constructor(stream: AsyncIterable<Buffer | string> = process.stdin) {
    this.iterator = stream[Symbol.asyncIterator]();
  }

  /** The next line including its '\n', or null at end of input without a complete line. */
  async readLine(): Promise<string | null> {
    for (;;) {
      const newline = this.buffer.indexOf(0x0a);
      if (newline >= 0) {
        const line = this.buffer.subarray(0, newline + 1).toString('utf8');
        this.buffer = this.buffer.subarray(newline + 1);
        return line;
      }
      if (this.ended) return null;
      const next = await this.iterator.next();
      if (next.done === true) this.ended = true;
      else this.buffer = Buffer.concat([this.buffer, Buffer.from(next.value)]);
    }
  }

  /** Stops reading (lets the process exit). */
  async close(): Promise<void> {
    await this.iterator.return?.();
  }
}
