/**
 * Member records as etcd stores them in the `members` bucket and in conf-change contexts: JSON
 * `{"id":<uint64>,"peerURLs":[...],"name":"...","clientURLs":[...],"isLearner":true}`. The id is a bare
 * 64-bit JSON number, so it is written and read textually (never through a float). One format for the
 * server (src/server/membership) and offline restore (src/snapshot).
 */

/** One member as the record holds it. */
export interface MemberRecord { id: bigint; name: string; peerUrls: string[]; clientUrls: string[]; isLearner: boolean }

/** etcd's JSON for `m` (empty name, no client URLs and non-learner are omitted, as etcd omits them). */
export function encodeMemberJson(m: MemberRecord): string {
  const fields = [`"id":${BigInt.asUintN(64, m.id).toString()}`, `"peerURLs":${JSON.stringify(m.peerUrls)}`];
  if (m.name !== '') fields.push(`"name":${JSON.stringify(m.name)}`);
  if (m.clientUrls.length > 0) fields.push(`"clientURLs":${JSON.stringify(m.clientUrls)}`);
  if (m.isLearner) fields.push('"isLearner":true');
  return `{${fields.join(',')}}`;
}

/** Parses a member record. Throws Error without an id, SyntaxError on bad JSON. */
export function decodeMemberJson(text: string): MemberRecord {
  const idMatch = /"id":\s*(\d+)/.exec(text);
  if (idMatch === null) throw new Error(`member record without id: ${text}`);
  const raw = JSON.parse(text) as { peerURLs?: string[]; name?: string; clientURLs?: string[]; isLearner?: boolean };
  return {
    id: BigInt(idMatch[1]!), name: raw.name ?? '', peerUrls: raw.peerURLs ?? [], clientUrls: raw.clientURLs ?? [],
    isLearner: raw.isLearner === true,
  };
}
