/**
 * The progress bar etcdctl's `check perf` / `check datascale` draw (cheggaaa/pb v1 with the format
 * "Bom !"): `\r <current> / <total> [bar] <percent>% <time left>` refreshed every 200 ms, and on
 * finish the elapsed time (Go duration) and a newline. The bar itself is drawn only when the output
 * is a terminal of known width (pb measures the terminal; with no width it draws counters only).
 */
import { goDuration } from '../go-format.js';

/** How often the line is redrawn (pb v1's default refresh rate). */
export const PROGRESS_REFRESH_MS = 200;
const NANOS_PER_MS = 1_000_000n;
const SECOND_MS = 1000;

/** pb's U_DURATION format of a time left: `00m59s`, `01h02m03s`. */
export function timeLeftText(leftMs: number): string {
  const total = Math.floor(leftMs / SECOND_MS);
  const p = (n: number): string => String(n).padStart(2, '0');
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor(total / 60) % 60;
  const seconds = total % 60;
  return hours > 0 ? `${p(hours)}h${p(minutes)}m${p(seconds)}s` : `${p(minutes)}m${p(seconds)}s`;
}

/** Go's %6.02f%% of current/total. */
function percentBox(current: number, total: number): string {
  const percent = total > 0 ? (current / total) * 100 : 0;
  return ` ${percent.toFixed(2).padStart(6)}%`;
}

function barBox(current: number, total: number, size: number): string {
  if (size <= 0 || total <= 0) return '';
  const filled = Math.min(size, Math.ceil((current / total) * size));
  const empty = Math.max(0, size - filled);
  let body = '';
  if (empty === 0) body = 'o'.repeat(filled);
  else if (filled > 0) body = `${'o'.repeat(filled - 1)}m`;
  return `B${body}${' '.repeat(empty)}!`;
}

/** A pb v1-style progress line written through `write`. Not thread-safe (single event loop). */
export class ProgressBar {
  private current = 0;
  private readonly startedMs = Date.now();
  private changedMs = this.startedMs;
  private timer: NodeJS.Timeout | undefined;
  private finished = false;

  /** `widthColumns` is the terminal width (undefined when not a terminal: no bar is drawn). */
  constructor(private readonly total: number, private readonly write: (text: string) => void,
    private readonly widthColumns: number | undefined) {}

  /** Draws the first line and starts refreshing. */
  start(): void {
    this.draw();
    this.timer = setInterval(() => { this.draw(); }, PROGRESS_REFRESH_MS);
    this.timer.unref();
  }

  /** Advances by `n`. */
  add(n = 1): void {
    this.current += n;
    this.changedMs = Date.now();
  }

  /** Stops refreshing, draws the final line (elapsed time) and a newline. Idempotent. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.draw();
    this.write('\n');
  }

  private timeBox(): string {
    const now = Date.now();
    if (this.finished) {
      const elapsedMs = Math.floor((now - this.startedMs) / SECOND_MS) * SECOND_MS;
      return ` ${goDuration(BigInt(elapsedMs) * NANOS_PER_MS)}`;
    }
    if (this.current <= 0) return '';
    const perEntryMs = (this.changedMs - this.startedMs) / this.current;
    const leftMs = (this.total - this.current) * perEntryMs - (now - this.changedMs);
    return leftMs >= SECOND_MS ? ` ${timeLeftText(leftMs)}` : '';
  }

  private draw(): void {
    const counters = ` ${this.current} / ${this.total} `;
    const percent = percentBox(this.current, this.total);
    const time = this.timeBox();
    let bar = '';
    if (this.widthColumns !== undefined) {
      bar = barBox(this.current, this.total, this.widthColumns - counters.length - percent.length - time.length - 2);
    }
    let line = `${counters}${bar}${percent}${time}`;
    if (this.widthColumns !== undefined && line.length < this.widthColumns) {
      line = line.padEnd(this.widthColumns - 1);
    }
    this.write(`\r${line}`);
  }
}

/** The width of the terminal on stdout, undefined when stdout is not a terminal. */
export function terminalColumns(): number | undefined {
  return process.stdout.isTTY ? process.stdout.columns : undefined;
}
