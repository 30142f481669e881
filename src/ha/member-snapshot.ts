/**
 * Streams Maintenance.Snapshot from one member (tetcd or etcd) into a file, verifies the sha256 trailer
 * and publishes the file atomically. The member is reached as an ordinary gRPC client.
 */
import * as grpc from '@grpc/grpc-js';
import { open, rm } from 'node:fs/promises';
import { parseEndpoint } from '../client/index.js';
import { MaintenanceService } from '../proto/services.js';
import { SnapshotRequest, StatusRequest, type SnapshotResponse, type StatusResponse } from '../proto/gen/etcdserverpb.js';
import { publishAtomically, tempPathFor, verifySnapshotTrailer } from './file-io.js';
import type { MemberTls } from './options.js';

const MaintenanceClient = grpc.makeGenericClientConstructor(MaintenanceService, 'Maintenance');

const CHANNEL_OPTIONS: grpc.ChannelOptions = { 'grpc.max_receive_message_length': -1 };

/** Thrown when the member cannot be reached or ends the stream with an error. */
export class SnapshotStreamError extends Error {
  override readonly name = 'SnapshotStreamError';
}

function credentialsFor(secure: boolean, tls: MemberTls | undefined): grpc.ChannelCredentials {
  const hasTls = tls !== undefined && (tls.ca !== undefined || tls.cert !== undefined || tls.key !== undefined);
  if (!secure && !hasTls) return grpc.credentials.createInsecure();
  return grpc.credentials.createSsl(tls?.ca ?? null, tls?.key ?? null, tls?.cert ?? null);
}

/**
 * Downloads a snapshot from `endpoint` to `destPath` (replacing it atomically). Returns the size in bytes.
 * @throws SnapshotStreamError on connection or RPC failure, SnapshotChecksumError when the trailer does
 *   not match, RangeError on a malformed endpoint; nothing is left at `destPath` on failure.
 */
export async function downloadMemberSnapshot(endpoint: string, tls: MemberTls | undefined, destPath: string,
  timeoutMs: number): Promise<number> {
  const parsed = parseEndpoint(endpoint);
  const client = new MaintenanceClient(parsed.address, credentialsFor(parsed.secure, tls), CHANNEL_OPTIONS);
  const tempPath = tempPathFor(destPath);
  const handle = await open(tempPath, 'wx');
  let sizeBytes = 0;
  try {
    const call = client.makeServerStreamRequest(
      '/etcdserverpb.Maintenance/Snapshot',
      (value: SnapshotRequest) => Buffer.from(SnapshotRequest.encode(value)),
      (bytes: Buffer) => MaintenanceService['snapshot']!.responseDeserialize(bytes) as SnapshotResponse,
      SnapshotRequest.create({}),
      { deadline: Date.now() + timeoutMs },
    );
    try {
      for await (const message of call as AsyncIterable<SnapshotResponse>) {
        if (message.blob.length === 0) continue;
        await handle.write(message.blob);
        sizeBytes += message.blob.length;
      }
    } catch (error) {
      const detail = (error as grpc.ServiceError).details ?? (error as Error).message;
      const short = detail.replace(/\.?\s*Resolution note:[\s\S]*$/, '');
      throw new SnapshotStreamError(`snapshot stream from ${endpoint} failed: ${short}`);
    }
    await handle.close();
    await verifySnapshotTrailer(tempPath);
    await publishAtomically(tempPath, destPath);
    return sizeBytes;
  } catch (error) {
    await handle.close().catch(() => undefined);
    await rm(tempPath, { force: true });
    throw error;
  } finally {
    client.close();
  }
}

/** Time allowed for the Status call of memberIsLearner. */
const STATUS_TIMEOUT_MS = 5_000;

/**
 * Whether the member at `endpoint` is a raft learner (Maintenance.Status `isLearner`); K3s skips
 * scheduled snapshots on learners. Use as the scheduler's `shouldRun` hook (negated).
 * @throws SnapshotStreamError when the member cannot be asked.
 */
export async function memberIsLearner(endpoint: string, tls: MemberTls | undefined): Promise<boolean> {
  const parsed = parseEndpoint(endpoint);
  const client = new MaintenanceClient(parsed.address, credentialsFor(parsed.secure, tls), CHANNEL_OPTIONS);
  try {
    const status = await new Promise<StatusResponse>((resolve, reject) => {
      client.makeUnaryRequest(
        '/etcdserverpb.Maintenance/Status',
        (value: StatusRequest) => Buffer.from(StatusRequest.encode(value)),
        (bytes: Buffer) => MaintenanceService['status']!.responseDeserialize(bytes) as StatusResponse,
        StatusRequest.create({}),
        { deadline: Date.now() + STATUS_TIMEOUT_MS },
        (error, value) => (error !== null || value === undefined ? reject(error ?? new Error('no response')) : resolve(value)),
      );
    });
    return status.isLearner;
  } catch (error) {
    const detail = (error as grpc.ServiceError).details ?? (error as Error).message;
    throw new SnapshotStreamError(`status of ${endpoint} failed: ${detail}`);
  } finally {
    client.close();
  }
}
