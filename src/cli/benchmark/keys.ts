/**
 * Key and value generation for write workloads. A key is `keySizeBytes` bytes: the key number
 * (sequential, or uniformly random in [0, keySpaceSize)) written big-endian into the low bytes, so
 * sequential keys sort in order. Values are one random buffer reused for every request, as etcd's
 * benchmark does (payload content does not matter to the store).
 */
import { randomBytes } from 'node:crypto';
import { assert } from '../../base/assert.js';

/** Largest key the generator makes (etcd rejects requests above 1.5 MiB anyway). */
export const KEY_SIZE_BYTES_MAX = 1024 * 1024;
/** Largest value the generator makes. */
export const VALUE_SIZE_BYTES_MAX = 1024 * 1024;

/** Options that decide which key a request uses. */
export interface KeyPlan {
  keySizeBytes: number;
  keySpaceSize: number;
  sequentialKeys: boolean;
}

/** Throws AssertionError when the plan is out of range. */
export function checkKeyPlan(plan: KeyPlan): void {
  assert(Number.isSafeInteger(plan.keySizeBytes), 'key size must be an integer');
  assert(plan.keySizeBytes >= 1 && plan.keySizeBytes <= KEY_SIZE_BYTES_MAX, `bad key size ${plan.keySizeBytes}`);
  assert(Number.isSafeInteger(plan.keySpaceSize) && plan.keySpaceSize >= 1, `bad key space ${plan.keySpaceSize}`);
}

/** The key number for request `requestNumber` (sequential modulo the key space, or random). */
export function keyNumberFor(plan: KeyPlan, requestNumber: number, random: () => number = Math.random): number {
  return plan.sequentialKeys ? requestNumber % plan.keySpaceSize : Math.floor(random() * plan.keySpaceSize);
}

/** Encodes `keyNumber` big-endian into the last bytes of a zeroed `keySizeBytes` buffer. */
export function encodeKey(keyNumber: number, keySizeBytes: number): Uint8Array {
  assert(Number.isSafeInteger(keyNumber) && keyNumber >= 0, `bad key number ${keyNumber}`);
  const key = new Uint8Array(keySizeBytes);
  let rest = keyNumber;
  for (let i = keySizeBytes - 1; i >= 0 && rest > 0; i--) {
    key[i] = rest % 256;
    rest = Math.floor(rest / 256);
  }
  assert(rest === 0, `key number ${keyNumber} does not fit in ${keySizeBytes} bytes`);
  return key;
}

/** A random value of `valueSizeBytes` bytes. Throws AssertionError when out of range. */
export function makeValue(valueSizeBytes: number): Uint8Array {
  assert(Number.isSafeInteger(valueSizeBytes) && valueSizeBytes >= 0, `bad value size ${valueSizeBytes}`);
  assert(valueSizeBytes <= VALUE_SIZE_BYTES_MAX, `value size above ${VALUE_SIZE_BYTES_MAX}`);
  return new Uint8Array(randomBytes(valueSizeBytes));
}
