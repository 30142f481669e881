/**
 * Key pairs for the PKI module: generation, PEM export and import, on WebCrypto (node:crypto's
 * webcrypto), which @peculiar/x509 signs with. ECDSA P-256 is the default (etcd's auto-TLS and K3s use
 * it); RSA 2048 is available for clients that want RSA.
 */
import { createPrivateKey, webcrypto } from 'node:crypto';
import './reflect-shim.js';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

export type { CryptoKey, CryptoKeyPair };

export type KeyType = 'ecdsa-p256' | 'rsa-2048';

export const KEY_TYPE_DEFAULT: KeyType = 'ecdsa-p256';

const ECDSA_P256 = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const RSA_2048 = { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]),
  hash: 'SHA-256' } as const;

/** The WebCrypto algorithm (generation, import and signing parameters) for a key type. */
export function keyAlgorithm(type: KeyType): typeof ECDSA_P256 | typeof RSA_2048 {
  return type === 'ecdsa-p256' ? ECDSA_P256 : RSA_2048;
}

/** Generates an extractable signing key pair. */
export async function generateKeyPair(type: KeyType): Promise<CryptoKeyPair> {
  return await webcrypto.subtle.generateKey(keyAlgorithm(type), true, ['sign', 'verify']) as CryptoKeyPair;
}

/** The private key as PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----"), which Go, OpenSSL and Node all read. */
export async function privateKeyToPem(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

/**
 * Imports a PEM private key (PKCS#8, SEC1 "EC PRIVATE KEY" or PKCS#1 "RSA PRIVATE KEY") for signing.
 * @throws Error if the PEM is not a private key, or not a P-256 EC or RSA key.
 */
export async function importSigningKey(pem: string): Promise<{ key: CryptoKey; type: KeyType }> {
  const nodeKey = createPrivateKey(pem);
  const der = nodeKey.export({ type: 'pkcs8', format: 'der' });
  let type: KeyType;
  if (nodeKey.asymmetricKeyType === 'ec' && nodeKey.asymmetricKeyDetails?.namedCurve === 'prime256v1') {
    type = 'ecdsa-p256';
  } else if (nodeKey.asymmetricKeyType === 'rsa') {
    type = 'rsa-2048';
  } else {
    throw new Error(`unsupported CA key type ${nodeKey.asymmetricKeyType ?? 'unknown'} (want EC P-256 or RSA)`);
  }
  const algorithm = type === 'ecdsa-p256' ? ECDSA_P256 : { name: RSA_2048.name, hash: RSA_2048.hash };
  const key = await webcrypto.subtle.importKey('pkcs8', der, algorithm, false, ['sign']);
  return { key, type };
}

/** Signing parameters for @peculiar/x509 (hash included for ECDSA). */
export function signingAlgorithm(type: KeyType): webcrypto.Algorithm | webcrypto.EcdsaParams {
  return type === 'ecdsa-p256' ? { name: 'ECDSA', hash: 'SHA-256' } : { name: RSA_2048.name };
}

/** A random positive 128-bit serial number in hex (RFC 5280: at most 20 octets, positive). */
export function randomSerialHex(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0]! & 0x7f) | 0x01;
  return Buffer.from(bytes).toString('hex');
}
