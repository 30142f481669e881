/**
 * Resolves `--cluster-reset-restore-path` to a verified local snapshot file: an S3 object name (with S3
 * options, as K3s: only the file name is used) is downloaded, a `.zip` is extracted, and the etcd sha256
 * trailer is checked before the path is handed to the restore.
 */
import { mkdir, rename, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { publishAtomically, tempPathFor, verifySnapshotTrailer } from './file-io.js';
import { COMPRESSED_EXTENSION } from './names.js';
import type { S3Options } from './options.js';
import { unzipFirstEntry } from './zip.js';

async function downloadFromS3(name: string, s3: S3Options, destDir: string): Promise<string> {
  const finalPath = join(destDir, name);
  const tempPath = tempPathFor(finalPath);
  const { S3SnapshotStore } = await import('./s3-store.js');
  const store = new S3SnapshotStore(s3);
  try {
    await store.download(name, tempPath);
    await publishAtomically(tempPath, finalPath);
    return finalPath;
  } finally {
    store.close();
    await rm(tempPath, { force: true });
  }
}

async function extract(zipPath: string, destDir: string): Promise<string> {
  const fallbackName = basename(zipPath).slice(0, -COMPRESSED_EXTENSION.length);
  const tempPath = tempPathFor(join(destDir, fallbackName));
  try {
    const entryName = basename(await unzipFirstEntry(zipPath, tempPath));
    const finalPath = join(destDir, entryName === '' || entryName.startsWith('.') ? fallbackName : entryName);
    await verifySnapshotTrailer(tempPath);
    await rename(tempPath, finalPath);
    return finalPath;
  } finally {
    await rm(tempPath, { force: true });
  }
}

/**
 * Returns the path of a verified, uncompressed snapshot for `nameOrPath`.
 * With `s3`, `nameOrPath`'s file name is downloaded from the S3 folder into `destDir`; otherwise it is a
 * local path. A `.zip` is extracted into `destDir`. An uncompressed local file is verified in place and
 * its own path is returned.
 * @throws S3SnapshotError (download), ZipFormatError (archive), SnapshotChecksumError (trailer), fs errors.
 */
export async function fetchSnapshot(nameOrPath: string, s3: S3Options | undefined, destDir: string): Promise<string> {
  await mkdir(destDir, { recursive: true });
  const localPath = s3 !== undefined ? await downloadFromS3(basename(nameOrPath), s3, destDir) : nameOrPath;
  if (localPath.endsWith(COMPRESSED_EXTENSION)) return extract(localPath, destDir);
  await verifySnapshotTrailer(localPath);
  return localPath;
}
