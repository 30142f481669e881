/**
 * `tetcd snapshot ls` output as K3s prints it: a tabwriter table (`Name Location Size Created`, columns
 * padded with one space, Created in RFC 3339) or, with `-o json|yaml`, a map of snapshot file records
 * keyed as K3s keys them (`local-<name>` / `s3-<name>`, other characters than `-._a-zA-Z0-9` as `_`).
 */
import type { SnapshotInfo } from './local-store.js';

/** Output formats of `ls -o`. */
export type ListFormat = 'table' | 'json' | 'yaml';

/** RFC 3339 in UTC without fractional seconds (Go's time.RFC3339 for a UTC time). */
export function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Pads columns like Go's tabwriter with minwidth 0, padding 1, pad char ' ' (last column unpadded). */
export function tabulate(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.slice(0, -1).forEach((cell, i) => { widths[i] = Math.max(widths[i] ?? 0, cell.length); });
  }
  return rows.map((row) => row.map((cell, i) => (i < row.length - 1 ? cell.padEnd(widths[i]! + 1) : cell)).join('')
    + '\n').join('');
}

/** Table text: header plus one row per snapshot. */
export function formatTable(snapshots: readonly SnapshotInfo[]): string {
  const rows = [['Name', 'Location', 'Size', 'Created']];
  for (const s of snapshots) rows.push([s.name, s.location, String(s.sizeBytes), rfc3339(s.createdAt)]);
  return tabulate(rows);
}

/** The record K3s serialises per snapshot. */
interface SnapshotRecord {
  name: string;
  location: string;
  nodeName: string;
  createdAt: string;
  size: number;
  status: 'successful';
  compressed: boolean;
}

function recordKey(s: SnapshotInfo): string {
  return `${s.storage === 's3' ? 's3' : 'local'}-${s.name.replace(/[^-._a-zA-Z0-9]/g, '_')}`;
}

function records(snapshots: readonly SnapshotInfo[]): Map<string, SnapshotRecord> {
  const out = new Map<string, SnapshotRecord>();
  for (const s of snapshots) {
    out.set(recordKey(s), {
      name: s.name, location: s.location, nodeName: s.nodeName, createdAt: rfc3339(s.createdAt), size: s.sizeBytes,
      status: 'successful', compressed: s.compressed,
    });
  }
  return out;
}

/** JSON text (one line, newline-terminated, like Go's json.Encoder), keys sorted as Go sorts map keys. */
export function formatJson(snapshots: readonly SnapshotInfo[]): string {
  const entries = [...records(snapshots)].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify(Object.fromEntries(entries)) + '\n';
}

/** Quotes a YAML scalar when a plain scalar would be read differently. */
function yamlScalar(value: string | number | boolean): string {
  if (typeof value !== 'string') return String(value);
  const plain = /^[A-Za-z_./][A-Za-z0-9_./:+-]*$/.test(value) && !/^(true|false|null|yes|no|on|off|y|n)$/i.test(value);
  return plain ? value : JSON.stringify(value);
}

/** YAML text: a mapping of keys to records, keys sorted. */
export function formatYaml(snapshots: readonly SnapshotInfo[]): string {
  const entries = [...records(snapshots)].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (entries.length === 0) return '{}\n';
  const lines: string[] = [];
  for (const [key, record] of entries) {
    lines.push(`${yamlScalar(key)}:`);
    for (const [field, value] of Object.entries(record)) lines.push(`  ${field}: ${yamlScalar(value)}`);
  }
  return lines.join('\n') + '\n';
}

/** Renders `snapshots` in `format`. */
export function formatSnapshotList(snapshots: readonly SnapshotInfo[], format: ListFormat): string {
  if (format === 'json') return formatJson(snapshots);
  if (format === 'yaml') return formatYaml(snapshots);
  return formatTable(snapshots);
}
