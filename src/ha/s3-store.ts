/**
 * Snapshots on S3 (or any S3-compatible store) with @aws-sdk/client-s3: upload then verify (HEAD size and
 * the sha256 stored as object metadata `sha256`), list, delete, download, retention pruning.
 * Custom endpoints use path-style addressing; `insecure` means plain http, as K3s's `--etcd-s3-insecure`.
 */
import {
  DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { createReadStream, createWriteStream, readFileSync } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { Agent as HttpsAgent } from 'node:https';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { sha256File } from './file-io.js';
import type { SnapshotInfo } from './local-store.js';
import { COMPRESSED_EXTENSION, namesBeyondRetention } from './names.js';
import { S3_ENDPOINT_DEFAULT, s3KeyPrefix, type S3Options } from './options.js';

/** Object metadata key holding the sha256 (hex) of the uploaded bytes. */
export const SHA256_METADATA_KEY = 'sha256';
/** Upper bound on objects listed (pages of 1000). */
const LIST_PAGES_MAX = 100;

const ignore = (): void => undefined;
const SILENT_SDK_LOGGER = { trace: ignore, debug: ignore, info: ignore, warn: ignore, error: ignore };

/** Thrown for every S3 failure, with the operation, the object and the endpoint in the message. */
export class S3SnapshotError extends Error {
  override readonly name = 'S3SnapshotError';
}

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: string }).code;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  const parts = [error.name !== 'Error' ? error.name : '', error.message, code !== undefined ? `(${code})` : '',
    status !== undefined ? `HTTP ${status}` : ''];
  const hint = error.name === 'CredentialsProviderError'
    ? '(set --etcd-s3-access-key and --etcd-s3-secret-key, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)' : '';
  return [...parts, hint].filter((p) => p !== '').join(' ');
}

/** Builds the SDK client configuration for `options`. Throws the fs error if the CA file is unreadable. */
export function s3ClientConfig(options: S3Options): S3ClientConfig {
  const custom = options.endpoint !== S3_ENDPOINT_DEFAULT;
  const scheme = options.insecure ? 'http' : 'https';
  const ca = options.endpointCaPath !== undefined ? readFileSync(options.endpointCaPath) : undefined;
  const httpsAgent = new HttpsAgent({
    ...(ca !== undefined ? { ca } : {}), rejectUnauthorized: !options.skipSslVerify,
  });
  const accessKeyId = options.accessKey ?? process.env['AWS_ACCESS_KEY_ID'];
  const secretAccessKey = options.secretKey ?? process.env['AWS_SECRET_ACCESS_KEY'];
  return {
    region: options.region,
    ...(custom ? { endpoint: `${scheme}://${options.endpoint}`, forcePathStyle: true } : {}),
    ...(accessKeyId !== undefined && secretAccessKey !== undefined
      ? { credentials: { accessKeyId, secretAccessKey } } : {}),
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 2,
    // Failures surface as S3SnapshotError; without a logger the SDK also warns on the console.
    logger: SILENT_SDK_LOGGER,
    requestHandler: new NodeHttpHandler({
      connectionTimeout: options.timeoutMs, requestTimeout: options.timeoutMs, httpsAgent,
    }),
  };
}

/** One bucket + folder of snapshots. Call close() when done. */
export class S3SnapshotStore {
  private readonly client: S3Client;
  private readonly prefix: string;

  /** Throws the fs error if the endpoint CA file is unreadable. */
  constructor(private readonly options: S3Options) {
    // tetcd supports Node 20; the SDK's "upgrade to Node 22" process warning is noise in operator output.
    process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
    this.client = new S3Client(s3ClientConfig(options));
    this.prefix = s3KeyPrefix(options.folder);
  }

  /** `s3://bucket/folder/name`. */
  location(name: string): string {
    return `s3://${this.options.bucket}/${this.prefix}${name}`;
  }

  private where(name: string): string {
    return `${this.location(name)} (endpoint ${this.options.endpoint})`;
  }

  private signal(): AbortSignal {
    return AbortSignal.timeout(this.options.timeoutMs);
  }

  /**
   * Uploads `localPath` as `name` and verifies the stored size and sha256 metadata.
   * @throws S3SnapshotError on any failure (a mismatching object is deleted).
   */
  async upload(localPath: string, name: string): Promise<SnapshotInfo> {
    const [{ size }, sha256] = await Promise.all([stat(localPath), sha256File(localPath)]);
    const key = this.prefix + name;
    try {
      await this.client.send(new PutObjectCommand({
        Bucket: this.options.bucket, Key: key, Body: createReadStream(localPath), ContentLength: size,
        ContentType: name.endsWith(COMPRESSED_EXTENSION) ? 'application/zip' : 'application/octet-stream',
        Metadata: { [SHA256_METADATA_KEY]: sha256 },
      }), { abortSignal: this.signal() });
    } catch (error) {
      throw new S3SnapshotError(`S3 upload of ${this.where(name)} failed: ${describeError(error)}`);
    }
    const head = await this.head(name);
    const stored = head.Metadata?.[SHA256_METADATA_KEY];
    if (head.ContentLength !== size || stored !== sha256) {
      await this.delete(name).catch(() => false);
      throw new S3SnapshotError(`S3 upload of ${this.where(name)} did not verify: stored ${head.ContentLength} bytes ` +
        `sha256 ${stored ?? '(none)'}, expected ${size} bytes sha256 ${sha256}`);
    }
    return {
      name, location: this.location(name), sizeBytes: size, createdAt: head.LastModified ?? new Date(),
      nodeName: 's3', compressed: name.endsWith(COMPRESSED_EXTENSION), storage: 's3',
    };
  }

  private async head(name: string): Promise<{ ContentLength?: number | undefined; Metadata?: Record<string, string>
    | undefined; LastModified?: Date | undefined }> {
    try {
      return await this.client.send(new HeadObjectCommand({ Bucket: this.options.bucket, Key: this.prefix + name }),
        { abortSignal: this.signal() });
    } catch (error) {
      throw new S3SnapshotError(`S3 HEAD of ${this.where(name)} failed: ${describeError(error)}`);
    }
  }

  /** Lists the snapshots directly in the folder, oldest first. Throws S3SnapshotError. */
  async list(): Promise<SnapshotInfo[]> {
    const out: SnapshotInfo[] = [];
    let token: string | undefined;
    for (let page = 0; page < LIST_PAGES_MAX; page++) {
      let response;
      try {
        response = await this.client.send(new ListObjectsV2Command({
          Bucket: this.options.bucket, Prefix: this.prefix, Delimiter: '/',
          ...(token !== undefined ? { ContinuationToken: token } : {}),
        }), { abortSignal: this.signal() });
      } catch (error) {
        throw new S3SnapshotError(`S3 list of s3://${this.options.bucket}/${this.prefix} ` +
          `(endpoint ${this.options.endpoint}) failed: ${describeError(error)}`);
      }
      for (const object of response.Contents ?? []) {
        const name = (object.Key ?? '').slice(this.prefix.length);
        if (name === '' || name.startsWith('.')) continue;
        out.push({
          name, location: this.location(name), sizeBytes: object.Size ?? 0,
          createdAt: object.LastModified ?? new Date(0), nodeName: 's3', compressed: name.endsWith(COMPRESSED_EXTENSION),
          storage: 's3',
        });
      }
      token = response.IsTruncated === true ? response.NextContinuationToken : undefined;
      if (token === undefined) break;
    }
    return out.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.name < b.name ? -1 : 1));
  }

  /** Deletes `name`. Returns false if it did not exist. Throws S3SnapshotError. */
  async delete(name: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.options.bucket, Key: this.prefix + name }),
        { abortSignal: this.signal() });
    } catch (error) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 404) return false;
      throw new S3SnapshotError(`S3 HEAD of ${this.where(name)} failed: ${describeError(error)}`);
    }
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key: this.prefix + name }),
        { abortSignal: this.signal() });
      return true;
    } catch (error) {
      throw new S3SnapshotError(`S3 delete of ${this.where(name)} failed: ${describeError(error)}`);
    }
  }

  /**
   * Downloads `name` to `destPath` and checks its sha256 metadata when present.
   * @throws S3SnapshotError on failure or mismatch (destPath removed).
   */
  async download(name: string, destPath: string): Promise<void> {
    let expected: string | undefined;
    try {
      const response = await this.client.send(
        new GetObjectCommand({ Bucket: this.options.bucket, Key: this.prefix + name }), { abortSignal: this.signal() });
      expected = response.Metadata?.[SHA256_METADATA_KEY];
      await pipeline(response.Body as Readable, createWriteStream(destPath));
    } catch (error) {
      await rm(destPath, { force: true });
      throw new S3SnapshotError(`S3 download of ${this.where(name)} failed: ${describeError(error)}`);
    }
    if (expected !== undefined) {
      const actual = await sha256File(destPath);
      if (actual !== expected) {
        await rm(destPath, { force: true });
        throw new S3SnapshotError(`S3 object ${this.where(name)} has sha256 ${actual}, metadata says ${expected}`);
      }
    }
  }

  /**
   * Deletes the oldest S3 snapshots of `name` on `nodeName` beyond `retention`; returns them.
   * @throws S3SnapshotError.
   */
  async prune(name: string, nodeName: string, retention: number): Promise<string[]> {
    const existing = await this.list();
    const victims = namesBeyondRetention(existing.map((s) => s.name), name, nodeName, retention);
    for (const victim of victims) await this.delete(victim);
    return victims;
  }

  /** Releases sockets. */
  close(): void {
    this.client.destroy();
  }
}
