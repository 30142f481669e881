/**
 * Reads a whole WAL directory: scans every segment in order (verifying the crc chain across them),
 * decodes the records and feeds them to a consumer. Read-only: repairing a torn tail is open()'s job.
 */
import { readFile } from 'node:fs/promises';
import { assert } from '../base/assert.js';
import { Replay, decodeRecord } from './replay.js';
import { scanSegment } from './scan.js';
import { listSegments, type SegmentFile } from './segments.js';
import type { WalRecordBody, WalRecordInfo, WalSnapshotMarker } from './types.js';

/** The result of scanning a whole directory. */
export interface DirScan {
  segments: SegmentFile[];
  /** Chain value after the last good record of the last segment. */
  chainOut: number;
  /** Size of the last segment up to its last good record. */
  lastSegmentGoodBytes: number;
  torn?: { offset: number; detail: string; fileBytes: number } | undefined;
}

type RecordSink = (file: string, offset: number, sizeBytes: number, body: WalRecordBody) => void;

/**
 * Scans all segments of `dir` oldest first, calling `sink` for each good record. Throws
 * CorruptionError on corruption, Error if the directory has no segments.
 */
export async function scanDir(dir: string, sink: RecordSink): Promise<DirScan> {
  const segments = await listSegments(dir);
  if (segments.length === 0) throw new Error(`wal: no segments in ${dir}`);
  let chain: number | undefined = undefined;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    const bytes = await readFile(segment.path);
    const isLast = i === segments.length - 1;
    const scan = scanSegment(segment.path, bytes, isLast, chain);
    for (const record of scan.records) {
      sink(segment.path, record.offset, record.sizeBytes, decodeRecord(segment.path, record));
    }
    chain = scan.chainOut;
    if (isLast) {
      const goodBytes = scan.endOffset;
      const torn = scan.torn === undefined ? undefined : { ...scan.torn, fileBytes: bytes.length };
      return { segments, chainOut: chain, lastSegmentGoodBytes: goodBytes, torn };
    }
    assert(scan.torn === undefined, 'only the last segment may be torn');
  }
  throw new Error('unreachable: the loop returns at the last segment');
}

/** Reads `dir` and replays it from `requested`. Throws like scanDir, plus replay's CorruptionErrors. */
export async function readDir(dir: string, requested: WalSnapshotMarker): Promise<{ scan: DirScan; replay: Replay }> {
  const replay = new Replay(requested);
  const scan = await scanDir(dir, (file, offset, _size, body) => replay.apply(file, offset, body));
  return { scan, replay };
}

/**
 * Reads every record of a WAL dir without opening it for write (for `tetcdutl` dumps and verify).
 * A torn tail is reported as a final `tornTail` item and left in place. Throws CorruptionError on
 * corruption and Error if `dir` has no segments.
 */
export async function readWalRecords(dir: string): Promise<WalRecordInfo[]> {
  const out: WalRecordInfo[] = [];
  const scan = await scanDir(dir, (file, offset, sizeBytes, body) => out.push({ ...body, file, offset, sizeBytes }));
  const last = scan.segments.at(-1)!;
  if (scan.torn !== undefined) {
    out.push({
      type: 'tornTail', file: last.path, offset: scan.torn.offset,
      sizeBytes: scan.torn.fileBytes - scan.torn.offset, detail: scan.torn.detail,
    });
  }
  return out;
}
