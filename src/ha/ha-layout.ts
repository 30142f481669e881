/**
 * The K3s-style HA material under `<data-dir>/server/` (etcd's own data stays in `<data-dir>/member`):
 *
 *   server/token                      K10<sha256 of tls/server-ca.crt>::server:<secret>   (0600)
 *   server/name                       generated member name `<hostname>-<8 hex>` (only without --name)
 *   server/tetcdctl.env               ETCDCTL_* variables for etcdctl / tetcdctl (`set -a; . file`)
 *   server/tls/server-ca.crt|key      CA of the client port (its hash is pinned by the token)
 *   server/tls/peer-ca.crt|key        CA of the peer port
 *   server/tls/server.crt|key         this member's client-port certificate (serverAuth + clientAuth)
 *   server/tls/peer.crt|key           this member's peer certificate (serverAuth + clientAuth)
 *   server/tls/client.crt|key         operator client certificate (CN etcd-client)
 *
 * Keys are written 0600, everything through a temp file + fsync + rename.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { secureRandomBytes } from '../platform/hash.js';
import { publishAtomically, tempPathFor } from './file-io.js';

/** Hex characters of the random suffix of a generated member name (K3s: 8). */
export const GENERATED_NAME_SUFFIX_HEX = 8;

/** Every path of the HA layout for one data dir. */
export interface HaLayout {
  dataDir: string;
  serverDir: string;
  tlsDir: string;
  tokenFile: string;
  nameFile: string;
  envFile: string;
  serverCaCert: string;
  serverCaKey: string;
  peerCaCert: string;
  peerCaKey: string;
  serverCert: string;
  serverKey: string;
  peerCert: string;
  peerKey: string;
  clientCert: string;
  clientKey: string;
}

/** The layout for `dataDir`, as absolute paths (nothing is read or written). */
export function haLayout(dataDir: string): HaLayout {
  const root = resolve(dataDir);
  const serverDir = join(root, 'server');
  const tlsDir = join(serverDir, 'tls');
  const tls = (file: string): string => join(tlsDir, file);
  return {
    dataDir: root, serverDir, tlsDir,
    tokenFile: join(serverDir, 'token'), nameFile: join(serverDir, 'name'), envFile: join(serverDir, 'tetcdctl.env'),
    serverCaCert: tls('server-ca.crt'), serverCaKey: tls('server-ca.key'),
    peerCaCert: tls('peer-ca.crt'), peerCaKey: tls('peer-ca.key'),
    serverCert: tls('server.crt'), serverKey: tls('server.key'),
    peerCert: tls('peer.crt'), peerKey: tls('peer.key'),
    clientCert: tls('client.crt'), clientKey: tls('client.key'),
  };
}

/** True when etcd's member data exists (the member was started before: no init / join again). */
export function memberDataExists(dataDir: string): boolean {
  return existsSync(join(dataDir, 'member'));
}

/**
 * Writes `content` to `path` atomically with `mode`, creating the parent directory (0700).
 * @throws the fs error.
 */
export async function writeFileAtomic(path: string, content: string, mode: number): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true, mode: 0o700 });
  const temp = tempPathFor(path);
  await writeFile(temp, content, { mode });
  await publishAtomically(temp, path);
}

/** Reads a text file, or undefined when it does not exist. Throws other fs errors. */
export async function readOptionalText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * The member name: `explicitName` when given, else the one persisted in `server/name`, else a new
 * `<hostname>-<8 hex>` (K3s's naming) with `generated` set: persist it with persistMemberName once the
 * member's setup succeeded (a refused join writes nothing).
 * @throws the fs error.
 */
export async function resolveMemberName(layout: HaLayout,
  explicitName: string | undefined): Promise<{ name: string; generated: boolean }> {
  if (explicitName !== undefined && explicitName !== '') return { name: explicitName, generated: false };
  const saved = (await readOptionalText(layout.nameFile))?.trim();
  if (saved !== undefined && saved !== '') return { name: saved, generated: false };
  const suffix = Buffer.from(secureRandomBytes(GENERATED_NAME_SUFFIX_HEX / 2)).toString('hex');
  return { name: `${hostname()}-${suffix}`, generated: true };
}

/** Writes `server/name`. Throws the fs error. */
export async function persistMemberName(layout: HaLayout, name: string): Promise<void> {
  await writeFileAtomic(layout.nameFile, `${name}\n`, 0o644);
}

/** The `tetcdctl.env` text: absolute paths, usable with `set -a; . tetcdctl.env`. */
export function etcdctlEnvText(layout: HaLayout, clientEndpoint: string): string {
  return [
    'ETCDCTL_API=3',
    `ETCDCTL_ENDPOINTS=${clientEndpoint}`,
    `ETCDCTL_CACERT=${layout.serverCaCert}`,
    `ETCDCTL_CERT=${layout.clientCert}`,
    `ETCDCTL_KEY=${layout.clientKey}`,
    '',
  ].join('\n');
}
