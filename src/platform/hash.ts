/** Cryptographic hashes from node:crypto (the only place outside platform that needs them goes through here). */
import { createHash, randomBytes } from 'node:crypto';

export function sha1(data: Uint8Array): Uint8Array {
  return createHash('sha1').update(data).digest();
}

export function sha256(data: Uint8Array): Uint8Array {
  return createHash('sha256').update(data).digest();
}

/** Cryptographically random bytes (tokens, ids). */
export function secureRandomBytes(size: number): Uint8Array {
  return randomBytes(size);
}
