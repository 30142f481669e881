/**
 * Membership inputs of a restore: `--initial-cluster` parsing and the member records written into the
 * restored backend. The record JSON and the snapshot metadata files are the server's own formats, from
 * src/platform (member-record.ts, snap-files.ts), so restore and server cannot drift apart.
 */
import type { MemberId } from '../base/ids.js';
import { encodeMemberJson } from '../platform/member-record.js';

/** A member of `--initial-cluster`. */
export interface InitialMember { name: string; peerUrls: string[] }

/** etcd's member record JSON (`members` bucket) for a member of a new cluster (no client URLs yet). */
export function memberJson(id: MemberId, member: InitialMember): string {
  return encodeMemberJson({ id, name: member.name, peerUrls: member.peerUrls, clientUrls: [], isLearner: false });
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
