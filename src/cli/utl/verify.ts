/**
 * `tetcdutl verify`: reads every WAL record (CRC chain across segments), opens the backend and
 * rebuilds the MVCC index. Reports OK, or the first corruption with file and offset.
 */
import { Backend } from '../../backend/backend.js';
import { CorruptionError } from '../../base/errors.js';
import { MvccStore } from '../../mvcc/store.js';
import { readWalRecords } from '../../wal/wal.js';
import { requireExists } from './data-dir.js';

/** What verify found. `problem` is undefined when everything checked out. */
export interface VerifyReport {
  lines: string[];
  problem: string | undefined;
}

function describeFailure(error: unknown): string {
  if (error instanceof CorruptionError) return `corruption in ${error.file} at offset ${error.offset}: ${error.detail}`;
  return error instanceof Error ? error.message : String(error);
}

/** Verifies the WAL in `walDir` and the backend at `backendPath`. Never throws for data problems. */
export async function verifyDataDir(walDir: string, backendPath: string): Promise<VerifyReport> {
  const lines: string[] = [];
  try {
    requireExists(walDir, 'WAL directory');
    const records = await readWalRecords(walDir);
    const files = new Set(records.map((r) => r.file));
    const torn = records.find((r) => r.type === 'tornTail');
    lines.push(`wal: ${records.length} records in ${files.size} segment(s) OK`);
    if (torn !== undefined) lines.push(`wal: torn tail in ${torn.file} at offset ${torn.offset} (repaired on next start)`);
  } catch (error) {
    return { lines, problem: `wal: ${describeFailure(error)}` };
  }
  let backend: Backend | undefined;
  try {
    requireExists(backendPath, 'backend file');
    backend = await Backend.open(backendPath);
    const store = await MvccStore.open(backend);
    lines.push(`backend: ${backendPath} OK (revision ${store.currentRevision()}, compact revision ` +
      `${store.compactRevision()}, consistent index ${store.consistentIndex()})`);
    await store.close();
  } catch (error) {
    return { lines, problem: `backend: ${describeFailure(error)}` };
  } finally {
    await backend?.close();
  }
  return { lines, problem: undefined };
}
