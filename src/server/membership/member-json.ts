/**
 * Member records as etcd stores them in the `members` bucket and in conf-change contexts: JSON
 * `{"id":<uint64>,"peerURLs":[...],"name":"...","clientURLs":[...],"isLearner":true}`. The id is a bare
 * 64-bit JSON number, so it is written and read textually (never through a float).
 */
import type { MemberInfo } from '../bootstrap.js';

export function encodeMemberJson(m: MemberInfo): string {
  const fields = [`"id":${BigInt.asUintN(64, m.id).toString()}`, `"peerURLs":${JSON.stringify(m.peerUrls)}`];
  if (m.name !== '') fields.push(`"name":${JSON.stringify(m.name)}`);
  if (m.clientUrls.length > 0) fields.push(`"clientURLs":${JSON.stringify(m.clientUrls)}`);
  if (m.isLearner) fields.push('"isLearner":true');
  return `{${fields.join(',')}}`;
}

export function decodeMemberJson(text: string): MemberInfo {
  const idMatch = /"id":\s*(\d+)/.exec(text);
  if (idMatch === null) throw new Error(`member record without id: ${text}`);
  const raw = JSON.parse(text) as { peerURLs?: string[]; name?: string; clientURLs?: string[]; isLearner?: boolean };
  return {
    id: BigInt(idMatch[1]!), name: raw.name ?? '', peerUrls: raw.peerURLs ?? [], clientUrls: raw.clientURLs ?? [],
    isLearner: raw.isLearner === true,
  };
}
