/**
 * Normaliser for etcdctl cluster commands (member *, endpoint * --cluster, move-leader), so the output of
 * a real etcd cluster and a tetcd cluster run through the same steps can be compared exactly.
 *
 * Replaced (everything else is kept byte-exact):
 *  - member ids (hex as etcdctl prints them, and decimal in -w json) → `<id:NAME>`;
 *  - the cluster id (hex in "... cluster X", decimal in "cluster_id") → `<cluster-id>`;
 *  - each member's client / peer `127.0.0.1:PORT` → `<NAME-client>` / `<NAME-peer>`;
 *  - raft terms and indexes, db sizes (table columns and JSON fields) and "took" durations → placeholders;
 *  - zap warning timestamps and client ids (via normaliseOutput).
 * Then orderings that follow the random member ids are canonicalised: table data rows, `member list`
 * simple rows and `endpoint health` lines are sorted, JSON `members` / status arrays are sorted by
 * their normalised text, the ETCD_INITIAL_CLUSTER list is sorted. Tables are re-rendered with trimmed
 * cells (column widths depend on the replaced values). Callers check id ordering separately
 * (see idsSorted).
 */
import { normaliseOutput } from '../helpers/normalise.js';
import type { Cluster } from '../helpers/cluster.js';

const TABLE_COLUMNS_NORMALISED: Record<string, string> = {
  'DB SIZE': '<db-size>', 'RAFT TERM': '<term>', 'RAFT INDEX': '<index>', 'RAFT APPLIED INDEX': '<index>',
  // tetcd reports the etcd API level it implements (3.5.0); the oracle is etcd 3.4.23.
  VERSION: '<version>',
};
const JSON_NUMBER_FIELDS = /"(raft_term|raftTerm|raftIndex|raftAppliedIndex|dbSize|dbSizeInUse)":\d+/g;
const TOOK = /took = [0-9.]+[a-zµ]+/g;

/** etcdctl prints `Member %16x <verb> cluster %16x`: ids shorter than 16 hex digits are space-padded. */
const MEMBER_CHANGED =
  /^Member( +)([0-9a-f]+) (added to|removed from|updated in|promoted in) cluster( +)([0-9a-f]+)$/gm;

/** Drops correct %16x padding (so ids of different lengths compare equal); flags wrong padding. */
function padded(pad: string, hex: string): string {
  const expected = 1 + Math.max(0, 16 - hex.length);
  return pad.length === expected ? hex : `<not-%16x-padded>${hex}`;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Replacements for one cluster: longest first so ids never clash with ports. */
function replacements(cluster: Cluster, clusterIdHex: string | undefined): Array<[RegExp, string]> {
  const out: Array<[RegExp, string]> = [];
  for (const m of cluster.members) {
    if (m.id !== undefined) {
      out.push([new RegExp(`\\b${m.id.toString(16)}\\b`, 'g'), `<id:${m.name}>`]);
      out.push([new RegExp(`\\b${m.id.toString(10)}\\b`, 'g'), `<id:${m.name}>`]);
    }
    out.push([new RegExp(`${escapeRegExp(m.endpoint)}\\b`, 'g'), `<${m.name}-client>`]);
    out.push([new RegExp(`127\\.0\\.0\\.1:${new URL(m.peerUrl).port}\\b`, 'g'), `<${m.name}-peer>`]);
  }
  if (clusterIdHex !== undefined) {
    out.push([new RegExp(`\\b${clusterIdHex}\\b`, 'g'), '<cluster-id>']);
    out.push([new RegExp(`\\b${BigInt(`0x${clusterIdHex}`).toString(10)}\\b`, 'g'), '<cluster-id>']);
  }
  return out;
}

function isBorder(line: string): boolean {
  return /^\+[-+]+\+$/.test(line);
}

function cells(line: string): string[] {
  return line.slice(1, -1).split('|').map((cell) => cell.trim());
}

/** Re-renders an etcdctl table with trimmed cells, normalised columns and sorted data rows. */
function normaliseTable(lines: string[]): string[] {
  const header = lines.find((line) => line.startsWith('|'));
  if (header === undefined) return lines;
  const names = cells(header);
  const rows = lines.filter((line) => line.startsWith('|') && line !== header).map((line) => cells(line)
    .map((cell, i) => TABLE_COLUMNS_NORMALISED[names[i] ?? ''] ?? cell).join(' | '));
  rows.sort();
  return ['<border>', names.join(' | '), '<border>', ...rows, '<border>'];
}

function sortJsonArrays(text: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.replace(/([:[,])(<[^<>"]+>)/g, (_m, before: string, p: string) => `${before}"${p}"`));
  } catch {
    return text;
  }
  const sortArray = (items: unknown[]): unknown[] => [...items].sort((a, b) =>
    JSON.stringify(a).localeCompare(JSON.stringify(b)));
  if (Array.isArray(parsed)) parsed = sortArray(parsed);
  else if (typeof parsed === 'object' && parsed !== null && Array.isArray((parsed as { members?: unknown }).members)) {
    const obj = parsed as { members: unknown[] };
    obj.members = sortArray(obj.members);
  }
  return JSON.stringify(parsed);
}

/** Normalises etcdctl output of a cluster command run against `cluster` (see file comment). */
export function normaliseClusterOutput(text: string, cluster: Cluster): string {
  const clusterIdHex = /cluster +([0-9a-f]+)\b/.exec(text)?.[1] ?? cluster.clusterIdHex;
  let out = text.replace(MEMBER_CHANGED, (_m, pad1: string, id: string, verb: string, pad2: string, cid: string) =>
    `Member ${padded(pad1, id)} ${verb} cluster ${padded(pad2, cid)}`).replace(/"cluster_id":(\d+)/g, (_m, id: string) => {
    if (cluster.clusterIdHex === undefined) cluster.clusterIdHex = BigInt(id).toString(16);
    return '"cluster_id":<cluster-id>';
  });
  for (const [pattern, replacement] of replacements(cluster, clusterIdHex ?? cluster.clusterIdHex)) {
    out = out.replace(pattern, replacement);
  }
  out = normaliseOutput(out).replace(JSON_NUMBER_FIELDS, (_m, field: string) => `"${field}":<${field}>`)
    .replace(TOOK, 'took = <duration>').replace(/"version":"3\.\d+\.\d+"/g, '"version":"<version>"');
  out = out.replace(/ETCD_INITIAL_CLUSTER="([^"]*)"/, (_m, list: string) =>
    `ETCD_INITIAL_CLUSTER="${list.split(',').sort().join(',')}"`);
  const lines = out.split('\n');
  if (lines.some((line) => isBorder(line))) return normaliseTable(lines.filter((l) => l !== '')).join('\n') + '\n';
  const trimmed = out.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) return sortJsonArrays(trimmed) + '\n';
  if (lines.filter((l) => l !== '').every((l) => /, (started|unstarted), |is healthy|is unhealthy/.test(l))) {
    return lines.filter((l) => l !== '').sort().join('\n') + '\n';
  }
  return out;
}

/**
 * True when the hex member ids leading the rows of `member list` (simple or table) are in ascending
 * numeric order, as etcd prints them.
 */
export function idsSorted(memberListOutput: string): boolean {
  const ids = [...memberListOutput.matchAll(/^\|?\s*([0-9a-f]{1,16})(?:,| \|)/gm)].map((m) => BigInt(`0x${m[1]!}`));
  return ids.every((id, i) => i === 0 || ids[i - 1]! < id);
}
