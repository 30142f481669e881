/**
 * A minimal zip archive with one deflated entry, as K3s writes compressed snapshots (`<name>.zip` holding
 * `<name>`). Streams in both directions; no zip64 (entries must stay below 4 GiB) and no encryption.
 *
 * Layout written: local header (sizes patched after streaming), deflate data, central directory entry,
 * end-of-central-directory record. The reader takes the first central directory entry and accepts the
 * stored (0) and deflate (8) methods, checking CRC-32 and size.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { open, rm, stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { crc32, createDeflateRaw, createInflateRaw } from 'node:zlib';

const LOCAL_HEADER_SIGNATURE = 0x04034b50;
const CENTRAL_HEADER_SIGNATURE = 0x02014b50;
const EOCD_SIGNATURE = 0x06054b50;
const LOCAL_HEADER_BYTES = 30;
const CENTRAL_HEADER_BYTES = 46;
const EOCD_BYTES = 22;
/** Largest trailing comment the reader searches through for the end record. */
const EOCD_SEARCH_BYTES = EOCD_BYTES + 0xffff;
const ZIP32_LIMIT_BYTES = 0xffffffff;
const METHOD_STORED = 0;
const METHOD_DEFLATE = 8;
const VERSION_NEEDED = 20;
/** General purpose flag bit 11: the entry name is UTF-8. */
const FLAG_UTF8 = 0x0800;

/** Thrown for archives this reader does not understand or that fail their CRC/size check. */
export class ZipFormatError extends Error {
  override readonly name = 'ZipFormatError';
}

/** Counts bytes and computes CRC-32 of what passes through. */
class CrcCounter extends Transform {
  crc = 0;
  sizeBytes = 0;
  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.crc = crc32(chunk, this.crc);
    this.sizeBytes += chunk.length;
    done(null, chunk);
  }
}

/** DOS date/time fields for a wall-clock time. */
function dosDateTime(date: Date): { time: number; day: number } {
  const time = (date.getHours() << 11) | (date.getMinutes() << 5) | Math.floor(date.getSeconds() / 2);
  const day = ((Math.max(1980, date.getFullYear()) - 1980) << 9) | ((date.getMonth() + 1) << 5) | date.getDate();
  return { time, day };
}

interface EntryInfo { name: Buffer; crc: number; compressedBytes: number; sizeBytes: number; time: number; day: number }

function localHeader(e: EntryInfo): Buffer {
  const b = Buffer.alloc(LOCAL_HEADER_BYTES);
  b.writeUInt32LE(LOCAL_HEADER_SIGNATURE, 0);
  b.writeUInt16LE(VERSION_NEEDED, 4);
  b.writeUInt16LE(FLAG_UTF8, 6);
  b.writeUInt16LE(METHOD_DEFLATE, 8);
  b.writeUInt16LE(e.time, 10);
  b.writeUInt16LE(e.day, 12);
  b.writeUInt32LE(e.crc >>> 0, 14);
  b.writeUInt32LE(e.compressedBytes, 18);
  b.writeUInt32LE(e.sizeBytes, 22);
  b.writeUInt16LE(e.name.length, 26);
  b.writeUInt16LE(0, 28);
  return Buffer.concat([b, e.name]);
}

function centralDirectory(e: EntryInfo): Buffer {
  const c = Buffer.alloc(CENTRAL_HEADER_BYTES);
  c.writeUInt32LE(CENTRAL_HEADER_SIGNATURE, 0);
  c.writeUInt16LE(VERSION_NEEDED, 4);
  c.writeUInt16LE(VERSION_NEEDED, 6);
  c.writeUInt16LE(FLAG_UTF8, 8);
  c.writeUInt16LE(METHOD_DEFLATE, 10);
  c.writeUInt16LE(e.time, 12);
  c.writeUInt16LE(e.day, 14);
  c.writeUInt32LE(e.crc >>> 0, 16);
  c.writeUInt32LE(e.compressedBytes, 20);
  c.writeUInt32LE(e.sizeBytes, 24);
  c.writeUInt16LE(e.name.length, 28);
  // extra, comment, disk number, internal attributes: 0; external attributes: 0644 regular file.
  c.writeUInt32LE((0o100644 << 16) >>> 0, 38);
  c.writeUInt32LE(0, 42);
  const end = Buffer.alloc(EOCD_BYTES);
  const centralBytes = CENTRAL_HEADER_BYTES + e.name.length;
  end.writeUInt32LE(EOCD_SIGNATURE, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(centralBytes, 12);
  end.writeUInt32LE(LOCAL_HEADER_BYTES + e.name.length + e.compressedBytes, 16);
  return Buffer.concat([c, e.name, end]);
}

/**
 * Writes `destPath` as a zip holding `srcPath`'s content under `entryName`. Not atomic: the caller
 * writes to a temp path and publishes it.
 * @throws ZipFormatError when the input or output exceeds 4 GiB; fs errors as is.
 */
export async function zipFile(srcPath: string, destPath: string, entryName: string, mtime: Date): Promise<void> {
  const { size } = await stat(srcPath);
  if (size >= ZIP32_LIMIT_BYTES) throw new ZipFormatError(`${srcPath} is too large to zip without zip64`);
  const { time, day } = dosDateTime(mtime);
  const name = Buffer.from(entryName, 'utf8');
  const placeholder = localHeader({ name, crc: 0, compressedBytes: 0, sizeBytes: 0, time, day });
  const counter = new CrcCounter();
  const out = createWriteStream(destPath, { flags: 'w' });
  out.write(placeholder);
  await pipeline(createReadStream(srcPath), counter, createDeflateRaw(), out);
  const compressedBytes = out.bytesWritten - placeholder.length;
  if (compressedBytes >= ZIP32_LIMIT_BYTES) throw new ZipFormatError('compressed snapshot exceeds 4 GiB');
  const entry: EntryInfo = { name, crc: counter.crc, compressedBytes, sizeBytes: counter.sizeBytes, time, day };
  const handle = await open(destPath, 'r+');
  try {
    const header = localHeader(entry);
    await handle.write(header, 0, header.length, 0);
    const tail = centralDirectory(entry);
    await handle.write(tail, 0, tail.length, placeholder.length + compressedBytes);
  } finally {
    await handle.close();
  }
}

interface CentralEntry { method: number; crc: number; compressedBytes: number; sizeBytes: number; localOffset: number;
  name: string }

async function readFirstEntry(path: string): Promise<CentralEntry> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const searchBytes = Math.min(size, EOCD_SEARCH_BYTES);
    const tail = Buffer.alloc(searchBytes);
    await handle.read(tail, 0, searchBytes, size - searchBytes);
    let at = -1;
    for (let i = searchBytes - EOCD_BYTES; i >= 0; i--) {
      if (tail.readUInt32LE(i) === EOCD_SIGNATURE) { at = i; break; }
    }
    if (at < 0) throw new ZipFormatError(`${path} is not a zip archive (no end of central directory)`);
    const entries = tail.readUInt16LE(at + 10);
    const centralOffset = tail.readUInt32LE(at + 16);
    if (entries < 1) throw new ZipFormatError(`${path} is an empty zip archive`);
    if (centralOffset === ZIP32_LIMIT_BYTES) throw new ZipFormatError(`${path} uses zip64, which is not supported`);
    const c = Buffer.alloc(CENTRAL_HEADER_BYTES);
    await handle.read(c, 0, CENTRAL_HEADER_BYTES, centralOffset);
    if (c.readUInt32LE(0) !== CENTRAL_HEADER_SIGNATURE) throw new ZipFormatError(`${path}: bad central directory`);
    const nameBytes = Buffer.alloc(c.readUInt16LE(28));
    await handle.read(nameBytes, 0, nameBytes.length, centralOffset + CENTRAL_HEADER_BYTES);
    return {
      method: c.readUInt16LE(10), crc: c.readUInt32LE(16), compressedBytes: c.readUInt32LE(20),
      sizeBytes: c.readUInt32LE(24), localOffset: c.readUInt32LE(42), name: nameBytes.toString('utf8'),
    };
  } finally {
    await handle.close();
  }
}

async function dataOffset(path: string, entry: CentralEntry): Promise<number> {
  const handle = await open(path, 'r');
  try {
    const h = Buffer.alloc(LOCAL_HEADER_BYTES);
    await handle.read(h, 0, LOCAL_HEADER_BYTES, entry.localOffset);
    if (h.readUInt32LE(0) !== LOCAL_HEADER_SIGNATURE) throw new ZipFormatError(`${path}: bad local header`);
    return entry.localOffset + LOCAL_HEADER_BYTES + h.readUInt16LE(26) + h.readUInt16LE(28);
  } finally {
    await handle.close();
  }
}

/**
 * Extracts the first entry of the zip at `srcPath` into `destPath`. Returns the entry's name.
 * @throws ZipFormatError on an unsupported or corrupt archive (destPath is removed); fs errors as is.
 */
export async function unzipFirstEntry(srcPath: string, destPath: string): Promise<string> {
  const entry = await readFirstEntry(srcPath);
  if (entry.method !== METHOD_STORED && entry.method !== METHOD_DEFLATE) {
    throw new ZipFormatError(`${srcPath}: compression method ${entry.method} is not supported`);
  }
  const start = await dataOffset(srcPath, entry);
  const counter = new CrcCounter();
  const source = entry.compressedBytes === 0
    ? Readable.from([])
    : createReadStream(srcPath, { start, end: start + entry.compressedBytes - 1 });
  const stages = entry.method === METHOD_DEFLATE ? [createInflateRaw()] : [];
  try {
    await pipeline([source, ...stages, counter, createWriteStream(destPath)]);
  } catch (error) {
    await rm(destPath, { force: true });
    if (error instanceof Error && 'code' in error && String(error.code).startsWith('Z_')) {
      throw new ZipFormatError(`${srcPath}: corrupt deflate data (${error.message})`);
    }
    throw error;
  }
  if ((counter.crc >>> 0) !== entry.crc || counter.sizeBytes !== entry.sizeBytes) {
    await rm(destPath, { force: true });
    throw new ZipFormatError(`${srcPath}: CRC-32 or size mismatch in entry ${entry.name}`);
  }
  return entry.name;
}
