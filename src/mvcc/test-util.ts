import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Backend, type BackendOptions } from '../backend/backend.js';
import { MvccStore, type MvccStoreOptions } from './store.js';

/** Test helpers (not used by production code). */
export const enc = (text: string): Uint8Array => new TextEncoder().encode(text);
export const dec = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

const tempDirs: string[] = [];
process.once('exit', () => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

/** A fresh backend file path in a new temp directory (removed when the process exits). */
export function tempDbPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tetcd-mvcc-'));
  tempDirs.push(dir);
  return join(dir, 'db');
}

/** Opens backend + store at `path`. */
export async function openStore(
  path: string, options: { backend?: BackendOptions; store?: MvccStoreOptions } = {},
): Promise<{ backend: Backend; store: MvccStore }> {
  const backend = await Backend.open(path, options.backend ?? {});
  const store = await MvccStore.open(backend, options.store ?? {});
  return { backend, store };
}

/** Closes store then backend. */
export async function closeStore(opened: { backend: Backend; store: MvccStore }): Promise<void> {
  await opened.store.close();
  await opened.backend.close();
}

/** One put in its own transaction; returns the new revision. */
export function put(store: MvccStore, key: string, value: string, lease = 0n): number {
  const txn = store.write();
  txn.put(enc(key), enc(value), lease);
  return txn.end().revision;
}

/** One deleteRange in its own transaction; returns [deleted, revision]. */
export function del(store: MvccStore, key: string, rangeEnd = ''): [number, number] {
  const txn = store.write();
  const { deleted } = txn.deleteRange(enc(key), enc(rangeEnd));
  return [deleted, txn.end().revision];
}

/** Range rendered as "key=value@create/mod/version" strings. */
export function show(store: MvccStore, key: string, rangeEnd = '', revision = 0): string[] {
  return store.range(enc(key), enc(rangeEnd), { revision }).kvs
    .map((kv) => `${dec(kv.key)}=${dec(kv.value)}@${kv.createRevision}/${kv.modRevision}/${kv.version}`);
}
