/**
 * Binary encoding of ConfChangeV2 carried in Entry.data of ConfChangeV2 entries. Format (big-endian):
 *   u8 version (=1) | u8 transition | u32 change count | count x (u8 type | u64 node id) |
 *   u32 context length | context bytes
 * Pure: no node imports.
 */
import { ConfChangeTransition, ConfChangeType, type ConfChangeSingle, type ConfChangeV2 } from './types.js';

const FORMAT_VERSION = 1;
const HEADER_BYTES = 2 + 4;
const CHANGE_BYTES = 1 + 8;
/** A conf change never needs more than this many single changes (guards against garbage input). */
export const CONF_CHANGES_MAX = 1024;

/** Raised when bytes are not a valid encoded ConfChangeV2. */
export class ConfChangeDecodeError extends Error {
  override readonly name = 'ConfChangeDecodeError';
}

/** Encodes a ConfChangeV2. @throws RangeError for an out-of-range node id or too many changes. */
export function encodeConfChangeV2(cc: ConfChangeV2): Uint8Array {
  if (cc.changes.length > CONF_CHANGES_MAX) throw new RangeError(`too many conf changes: ${cc.changes.length}`);
  const size = HEADER_BYTES + cc.changes.length * CHANGE_BYTES + 4 + cc.context.byteLength;
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, FORMAT_VERSION);
  view.setUint8(1, cc.transition);
  view.setUint32(2, cc.changes.length);
  let offset = HEADER_BYTES;
  for (const change of cc.changes) {
    if (change.nodeId < 0n || change.nodeId > 0xffff_ffff_ffff_ffffn) throw new RangeError(`bad node id ${change.nodeId}`);
    view.setUint8(offset, change.type);
    view.setBigUint64(offset + 1, change.nodeId);
    offset += CHANGE_BYTES;
  }
  view.setUint32(offset, cc.context.byteLength);
  bytes.set(cc.context, offset + 4);
  return bytes;
}

function transitionOf(value: number): ConfChangeTransition {
  switch (value) {
    case ConfChangeTransition.Auto: return ConfChangeTransition.Auto;
    case ConfChangeTransition.JointImplicit: return ConfChangeTransition.JointImplicit;
    case ConfChangeTransition.JointExplicit: return ConfChangeTransition.JointExplicit;
    default: throw new ConfChangeDecodeError(`unknown transition ${value}`);
  }
}

function changeTypeOf(value: number): ConfChangeType {
  switch (value) {
    case ConfChangeType.AddNode: return ConfChangeType.AddNode;
    case ConfChangeType.RemoveNode: return ConfChangeType.RemoveNode;
    case ConfChangeType.UpdateNode: return ConfChangeType.UpdateNode;
    case ConfChangeType.AddLearnerNode: return ConfChangeType.AddLearnerNode;
    default: throw new ConfChangeDecodeError(`unknown conf change type ${value}`);
  }
}

/** Decodes bytes from encodeConfChangeV2. @throws ConfChangeDecodeError on malformed input. */
export function decodeConfChangeV2(bytes: Uint8Array): ConfChangeV2 {
  if (bytes.byteLength < HEADER_BYTES + 4) throw new ConfChangeDecodeError(`too short: ${bytes.byteLength} bytes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint8(0) !== FORMAT_VERSION) throw new ConfChangeDecodeError(`bad version ${view.getUint8(0)}`);
  const transition = transitionOf(view.getUint8(1));
  const count = view.getUint32(2);
  if (count > CONF_CHANGES_MAX) throw new ConfChangeDecodeError(`too many changes: ${count}`);
  let offset = HEADER_BYTES;
  if (bytes.byteLength < offset + count * CHANGE_BYTES + 4) throw new ConfChangeDecodeError('truncated changes');
  const changes: ConfChangeSingle[] = [];
  for (let i = 0; i < count; i++) {
    changes.push({ type: changeTypeOf(view.getUint8(offset)), nodeId: view.getBigUint64(offset + 1) });
    offset += CHANGE_BYTES;
  }
  const contextLength = view.getUint32(offset);
  offset += 4;
  if (bytes.byteLength !== offset + contextLength) throw new ConfChangeDecodeError('bad context length');
  return { transition, changes, context: bytes.slice(offset, offset + contextLength) };
}
