/**
 * A small line diff for test failure messages (LCS based; falls back to "first differing line" when
 * the inputs are too large for the quadratic table).
 */

/** Largest lines(a) * lines(b) table computed. */
const DIFF_CELLS_MAX = 4_000_000;
/** Longest line quoted in a diff. */
const LINE_CHARS_MAX = 300;

function clip(line: string): string {
  return line.length <= LINE_CHARS_MAX ? line : `${line.slice(0, LINE_CHARS_MAX)}… (${line.length} chars)`;
}

/**
 * Returns a unified-style diff of `expected` → `actual` (`-` expected only, `+` actual only,
 * two spaces for common lines); the empty string when they are equal.
 */
export function lineDiff(expected: string, actual: string, expectedLabel = 'oracle', actualLabel = 'subject'): string {
  if (expected === actual) return '';
  const a = expected.split('\n');
  const b = actual.split('\n');
  const header = `--- ${expectedLabel}\n+++ ${actualLabel}\n`;
  if (a.length * b.length > DIFF_CELLS_MAX) {
    let i = 0;
    while (i < a.length && i < b.length && a[i] === b[i]) i++;
    return `${header}first difference at line ${i + 1}:\n- ${clip(a[i] ?? '<eof>')}\n+ ${clip(b[i] ?? '<eof>')}`;
  }
  const lcs: number[][] = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const lines: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      lines.push(`  ${clip(a[i]!)}`);
      i++; j++;
    } else if (j < b.length && (i >= a.length || lcs[i]![j + 1]! >= lcs[i + 1]![j]!)) {
      lines.push(`+ ${clip(b[j]!)}`);
      j++;
    } else {
      lines.push(`- ${clip(a[i]!)}`);
      i++;
    }
  }
  return header + lines.join('\n');
}
