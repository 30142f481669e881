/**
 * Output shared by `tetcdutl snapshot ...` and `tetcdctl snapshot ...`: the status in etcdctl's four
 * formats, and zap-style JSON log lines on stderr as etcdctl 3.4 prints them during save and restore.
 */
import type { SnapshotStatus } from '../../snapshot/status.js';
import { humanizeBytes } from '../ctl/go-format.js';
import { renderTable } from '../ctl/printers/tablewriter.js';

/** An output format etcdctl does not support for snapshot status; `exitCode` is etcdctl's (4). */
export class OutputFormatError extends Error {
  override readonly name = 'OutputFormatError';
  readonly exitCode = 4;
}

/** Formats a status as `-w simple|json|table|fields`. Throws OutputFormatError on another format. */
export function formatSnapshotStatus(status: SnapshotStatus, format: string): string {
  const hashHex = status.hash.toString(16); // Go's %x: no zero padding
  switch (format) {
    case 'simple':
      return `${hashHex}, ${status.revision}, ${status.totalKey}, ${humanizeBytes(status.totalSize)}\n`;
    case 'json':
      return `${JSON.stringify({ hash: status.hash, revision: status.revision, totalKey: status.totalKey,
        totalSize: status.totalSize })}\n`;
    case 'table':
      return renderTable(['HASH', 'REVISION', 'TOTAL KEYS', 'TOTAL SIZE'],
        [[hashHex, String(status.revision), String(status.totalKey), humanizeBytes(status.totalSize)]]);
    case 'fields':
      return `"Hash" : ${status.hash}\n"Revision" : ${status.revision}\n"Keys" : ${status.totalKey}\n` +
        `"Size" : ${status.totalSize}\n`;
    case 'protobuf':
      throw new OutputFormatError('protobuf not supported as output format');
    default:
      throw new OutputFormatError('unsupported output format');
  }
}

/**
 * One zap JSON log line (`{"level":"info","ts":<unix s>,"caller":...,"msg":...,<fields>}`); `isoTime`
 * writes ts as an ISO-8601 string, as clientv3's logger does.
 */
export function zapLine(caller: string, message: string, fields: Record<string, unknown> = {},
  isoTime = false): string {
  const now = Date.now();
  const head = { level: 'info', ts: isoTime ? new Date(now).toISOString() : now / 1000, caller, msg: message };
  return `${JSON.stringify({ ...head, ...fields })}\n`;
}
