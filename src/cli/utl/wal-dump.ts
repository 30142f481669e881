/** `tetcdutl wal dump`: one line per WAL record (file, offset, size, type, decoded fields). */
import { basename } from 'node:path';
import { formatIdHex } from '../../base/ids.js';
import { readWalRecords } from '../../wal/wal.js';
import type { WalRecordInfo } from '../../wal/wal.js';

const ENTRY_TYPE_NAMES = ['EntryNormal', 'EntryConfChange', 'EntryConfChangeV2'];

/** Formats one record's details. Throws nothing. */
export function describeRecord(record: WalRecordInfo): string {
  switch (record.type) {
    case 'crc': return `crc=${record.carriedCrc.toString(16).padStart(8, '0')}`;
    case 'metadata': return `bytes=${record.metadata.length}`;
    case 'entry': {
      const e = record.entry;
      return `term=${e.term} index=${e.index} type=${ENTRY_TYPE_NAMES[e.type] ?? e.type} dataBytes=${e.data.length}`;
    }
    case 'hardState': {
      const h = record.hardState;
      return `term=${h.term} vote=${formatIdHex(h.vote)} commit=${h.commit}`;
    }
    case 'snapshot': return `index=${record.snapshot.index} term=${record.snapshot.term}`;
    case 'tornTail': return `detail=${JSON.stringify(record.detail)} (truncated when the member next starts)`;
  }
}

/**
 * Writes the dump of `walDir` to `write`; resolves with the record count.
 * Throws CorruptionError (file, offset) on corruption and Error when the dir has no segments.
 */
export async function dumpWal(walDir: string, write: (text: string) => void): Promise<number> {
  const records = await readWalRecords(walDir);
  write('FILE\tOFFSET\tBYTES\tTYPE\tDETAIL\n');
  for (const record of records) {
    write(`${basename(record.file)}\t${record.offset}\t${record.sizeBytes}\t${record.type}\t${describeRecord(record)}\n`);
  }
  write(`${records.length} records\n`);
  return records.length;
}
