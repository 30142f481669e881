/**
 * Conversion between tetcd's backend (LMDB, one named database per etcd bucket, etcd's key and value
 * encodings) and bbolt bucket contents. The backend already stores etcd's bytes, so a snapshot is a
 * byte-for-byte copy of every bucket.
 */
import { BUCKET_NAMES, isBucketName, type BucketName } from '../backend/buckets.js';
import type { Backend, BackendReadView } from '../backend/backend.js';
import { assert } from '../base/assert.js';
import type { BboltBucket } from './bbolt/writer.js';
import { writeBbolt } from './bbolt/writer.js';
import { streamBbolt, type BboltSource, type BboltStream, type StreamWriteOptions } from './bbolt/stream-writer.js';
import { appendHash } from './snapshot-file.js';

const encoder = new TextEncoder();
const ALL_KEYS_FROM = new Uint8Array([0]);

/**
 * Every bucket of `backend` (uncommitted writes included), copied. Runs synchronously, so the result is
 * one consistent point in the apply order when called between apply turns. Throws backend errors.
 */
export function backendBuckets(backend: Backend): BboltBucket[] {
  return BUCKET_NAMES.map((name) => {
    const entries: Array<[Uint8Array, Uint8Array]> = [];
    for (const [key, value] of backend.range(name, ALL_KEYS_FROM)) entries.push([key.slice(), value.slice()]);
    return { name: encoder.encode(name), entries };
  });
}

/** The snapshot file of `backend`: a bbolt database plus its sha256 trailer. Throws backend errors. */
export function backendSnapshotBytes(backend: Backend): Uint8Array {
  return appendHash(writeBbolt(backendBuckets(backend)));
}

/** A BboltSource over every bucket of a backend read view (see Backend.openReadView). */
export function viewSource(view: BackendReadView): BboltSource {
  const decoder = new TextDecoder();
  return {
    bucketNames: BUCKET_NAMES.map((name) => encoder.encode(name)),
    read(name, after, limits) {
      const bucket = decoder.decode(name);
      assert(isBucketName(bucket), `unknown bucket ${bucket}`);
      return view.readAfter(bucket, after, limits.bytes, limits.entries);
    },
    readSizes(name, after, limits) {
      const bucket = decoder.decode(name);
      assert(isBucketName(bucket), `unknown bucket ${bucket}`);
      return view.sizesAfter(bucket, after, limits.bytes, limits.entries);
    },
  };
}

/**
 * Plans the bbolt database of `view` (one pass over it, yielding to the event loop between chunks) and
 * returns its size and its pages (a second pass). The view must stay open until the pages are consumed.
 * Throws backend errors; the generator throws AssertionError if the view changed (it cannot).
 */
export function streamBackendDb(view: BackendReadView, options: StreamWriteOptions = {}): Promise<BboltStream> {
  return streamBbolt(viewSource(view), options);
}

/**
 * Stages every entry of the known buckets of a bbolt database into `backend` (the caller commits);
 * returns the names of buckets tetcd does not know (skipped). Throws AssertionError on an oversized key.
 */
export function loadBuckets(backend: Backend, buckets: Map<string, Array<[Uint8Array, Uint8Array]>>): string[] {
  const skipped: string[] = [];
  for (const [name, entries] of buckets) {
    if (!isBucketName(name)) {
      skipped.push(name);
      continue;
    }
    const bucket: BucketName = name;
    for (const [key, value] of entries) backend.put(bucket, key, value);
  }
  return skipped;
}
