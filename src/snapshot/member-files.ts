/**
 * What a fresh tetcd member data dir holds besides the backend, written the way tetcd's server writes
 * and reads it (src/server/bootstrap.ts, snap-store.ts, membership/*; src/snapshot may not import
 * src/server, so the small formats are repeated here): member and cluster ids computed as etcd does,
 * member records as etcd's JSON, and raft snapshot metadata files `<term:016x>-<index:016x>.snap` holding
 * JSON plus a CRC32C line.
 */
import { open, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32c } from '../base/crc32c.js';
import type { MemberId } from '../base/ids.js';
import type { ConfState } from '../raft/types.js';

const encoder = new TextEncoder();

/** A member of `--initial-cluster`. */
export interface InitialMember { name: string; peerUrls: string[] }

/** etcd's member record JSON (`members` bucket); the id is written as a bare uint64. */
export function memberJson(id: MemberId, member: InitialMember): string {
  return `{"id":${BigInt.asUintN(64, id).toString()},"peerURLs":${JSON.stringify(member.peerUrls)},` +
    `"name":${JSON.stringify(member.name)}}`;
}

/**
 * Parses `--initial-cluster` (`name=url,name=url2,...`; a name may repeat to give several URLs), in
 * order of first appearance. Throws Error on an entry without `=`.
 */
export function parseInitialCluster(text: string): InitialMember[] {
  const members: InitialMember[] = [];
  for (const item of text.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new Error(`failed to parse initial cluster: ${JSON.stringify(item)} is not name=url`);
    const name = item.slice(0, eq);
    const url = item.slice(eq + 1);
    const existing = members.find((m) => m.name === name);
    if (existing === undefined) members.push({ name, peerUrls: [url] });
    else existing.peerUrls.push(url);
  }
  return members;
}

/** Writes snapshot metadata as tetcd's snap store does (temp file, fsync, rename). Throws fs errors. */
export async function writeSnapMetadata(dir: string, index: number, term: number, confState: ConfState): Promise<void> {
  const name = `${term.toString(16).padStart(16, '0')}-${index.toString(16).padStart(16, '0')}.snap`;
  const body = JSON.stringify({
    index, term,
    confState: {
      voters: confState.voters.map(String), learners: confState.learners.map(String),
      votersOutgoing: confState.votersOutgoing.map(String), learnersNext: confState.learnersNext.map(String),
      autoLeave: confState.autoLeave,
    },
  });
  const temp = join(dir, `${name}.tmp`);
  const handle = await open(temp, 'w');
  try {
    await handle.writeFile(`${body}\ncrc32c:${crc32c(encoder.encode(body)).toString(16)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, join(dir, name));
}
