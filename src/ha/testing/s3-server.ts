/**
 * Test-only: an S3-compatible server (the `s3rver` devDependency) on 127.0.0.1 with a temp directory,
 * and S3Options pointing at it. Used by tests/e2e/ha-snapshots*.test.ts and usable by cluster tests.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3Options } from '../options.js';

/** s3rver's default credentials (it checks signatures against them). */
export const S3RVER_ACCESS_KEY = 'S3RVER';
export const S3RVER_SECRET_KEY = 'S3RVER';

interface S3rverInstance {
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
}
type S3rverConstructor = new (options: {
  port: number; address: string; silent: boolean; directory: string; configureBuckets: { name: string }[];
}) => S3rverInstance;

/** A running test S3 server. */
export interface TestS3Server {
  port: number;
  /** `127.0.0.1:<port>` (K3s's `--etcd-s3-endpoint` form). */
  endpoint: string;
  /** Options for `bucket` and `folder` with plain http and s3rver's credentials. */
  options(folder?: string): S3Options;
  /** The flags `tetcd snapshot` takes for the same target. */
  flags(folder?: string): string[];
  /** Stops the server and removes its directory. */
  close(): Promise<void>;
}

/** Starts s3rver on a free 127.0.0.1 port with `bucket` created. Throws if s3rver is not installed. */
export async function startTestS3Server(bucket: string): Promise<TestS3Server> {
  const S3rver = createRequire(import.meta.url)('s3rver') as S3rverConstructor;
  const directory = mkdtempSync(join(tmpdir(), 'tetcd-s3rver-'));
  const server = new S3rver({
    port: 0, address: '127.0.0.1', silent: true, directory, configureBuckets: [{ name: bucket }],
  });
  const { port } = await server.run();
  const endpoint = `127.0.0.1:${port}`;
  return {
    port,
    endpoint,
    options: (folder = '') => ({
      endpoint, skipSslVerify: false, accessKey: S3RVER_ACCESS_KEY, secretKey: S3RVER_SECRET_KEY, bucket,
      region: 'us-east-1', folder, insecure: true, timeoutMs: 10_000,
    }),
    flags: (folder = '') => [
      '--etcd-s3', '--etcd-s3-endpoint', endpoint, '--etcd-s3-insecure', '--etcd-s3-bucket', bucket,
      '--etcd-s3-folder', folder, '--etcd-s3-access-key', S3RVER_ACCESS_KEY, '--etcd-s3-secret-key', S3RVER_SECRET_KEY,
      '--etcd-s3-timeout', '10s',
    ],
    close: async () => {
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
