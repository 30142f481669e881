/**
 * Renders tables exactly like olekukonko/tablewriter with etcdctl's settings: `+`/`-`/`|` borders,
 * centred header, right-aligned cells, one space of padding, cells wrapped at 30 columns by the
 * minimum-raggedness word wrap.
 */

const MAX_CELL_WIDTH = 30;
const WRAP_PENALTY = 100_000;

function width(text: string): number {
  return [...text].length;
}

/** Minimum-raggedness wrap of `words` at `limit` (tablewriter's WrapWords). */
function wrapWords(words: string[], limit: number): string[][] {
  const n = words.length;
  const len = (i: number, j: number): number =>
    words.slice(i, j + 1).reduce((sum, w) => sum + width(w), 0) + (j - i);
  const nextBreak = new Array<number>(n).fill(n);
  const cost = new Array<number>(n).fill(2_147_483_647);
  for (let i = n - 1; i >= 0; i--) {
    if (len(i, n - 1) <= limit) {
      cost[i] = 0;
      nextBreak[i] = n;
      continue;
    }
    for (let j = i + 1; j < n; j++) {
      const gap = limit - len(i, j - 1);
      let c = gap * gap + cost[j]!;
      if (len(i, j - 1) > limit) c += WRAP_PENALTY;
      if (c < cost[i]!) {
        cost[i] = c;
        nextBreak[i] = j;
      }
    }
  }
  const lines: string[][] = [];
  for (let i = 0; i < n; i = nextBreak[i]!) lines.push(words.slice(i, nextBreak[i]));
  return lines;
}

/** tablewriter's WrapString: split on spaces, widen the limit to the longest word, wrap. */
export function wrapCell(text: string): string[] {
  const words = text.replaceAll('\n', ' ').split(' ');
  let limit = MAX_CELL_WIDTH;
  for (const w of words) if (width(w) > limit) limit = width(w);
  return wrapWords(words, limit).map((line) => line.join(' '));
}

function center(text: string, size: number): string {
  const gap = size - width(text);
  const left = Math.floor(gap / 2);
  return ' '.repeat(left) + text + ' '.repeat(gap - left);
}

/** Renders `header` and `rows` as tablewriter does with ALIGN_RIGHT cells. Throws nothing. */
export function renderTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const wrapped = rows.map((row) => row.map(wrapCell));
  const widths = header.map((h, c) =>
    Math.max(width(h), ...wrapped.map((row) => Math.max(0, ...(row[c] ?? ['']).map(width)))));
  const border = `+${widths.map((w) => '-'.repeat(w + 2)).join('+')}+\n`;
  let out = border;
  out += `|${header.map((h, c) => ` ${center(h, widths[c]!)} `).join('|')}|\n`;
  out += border;
  for (const row of wrapped) {
    const height = Math.max(1, ...row.map((cell) => cell.length));
    for (let line = 0; line < height; line++) {
      out += `|${widths.map((w, c) => ` ${(row[c]?.[line] ?? '').padStart(w)} `).join('|')}|\n`;
    }
  }
  return out + border;
}
