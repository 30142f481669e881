import { CorruptionError } from '../base/errors.js';
import { Event_EventType, KeyValue as KeyValueCodec } from '../proto/gen/mvccpb.js';
import type { Event, KeyValue } from '../proto/gen/mvccpb.js';

/**
 * The one place MVCC touches the protobuf codec. Values in the `key` bucket are mvccpb.KeyValue
 * encoded exactly as etcd does (fields in number order, zero values omitted), so HashKV matches
 * across members and a bbolt snapshot writer can copy them byte for byte.
 */
export type { Event, KeyValue };

/** mvccpb.Event.EventType values. */
export const EventType = { PUT: Event_EventType.PUT, DELETE: Event_EventType.DELETE } as const;

/** A KeyValue with every field zero except those given. */
export function makeKeyValue(init: Partial<KeyValue>): KeyValue {
  return KeyValueCodec.create(init);
}

/** Encodes a KeyValue. Throws AssertionError on values that cannot be encoded. */
export function encodeKeyValue(kv: KeyValue): Uint8Array {
  return KeyValueCodec.encode(kv);
}

/**
 * Decodes a stored KeyValue; bytes fields alias `bytes` (callers pass buffers they own). Throws
 * CorruptionError (file "backend:key") on malformed input.
 */
export function decodeKeyValue(bytes: Uint8Array): KeyValue {
  try {
    return KeyValueCodec.decode(bytes);
  } catch (error) {
    throw new CorruptionError('backend:key', 0, `bad KeyValue: ${String(error)}`);
  }
}
