/** cobra's "Did you mean this?" suggestions for an unknown command. */
import type { CtlCommand } from './command.js';

/** Most edits between a typed name and a suggested command (cobra's default). */
const SUGGESTION_DISTANCE_MAX = 2;

function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}

/** The suffix cobra appends to `unknown command` errors ('' when nothing is close). */
export function suggestionsFor(root: CtlCommand, typed: string): string {
  const names = (root.children ?? [])
    .filter((c) => c.name !== 'help' && (c.run !== undefined || (c.children ?? []).length > 0))
    .filter((c) => levenshtein(typed.toLowerCase(), c.name.toLowerCase()) <= SUGGESTION_DISTANCE_MAX ||
      c.name.toLowerCase().startsWith(typed.toLowerCase()))
    .map((c) => c.name).sort();
  if (names.length === 0) return '';
  return `\n\nDid you mean this?\n${names.map((n) => `\t${n}\n`).join('')}`;
}
