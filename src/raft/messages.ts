/** Message helpers: construction with defaults and type classification. */
import { MessageType, type Message } from './types.js';

const EMPTY = new Uint8Array(0);

/** Context marking a vote request that stems from a leadership transfer (bypasses leader stickiness). */
export const CAMPAIGN_TRANSFER_CONTEXT = new TextEncoder().encode('CampaignTransfer');

/** A message with every field defaulted; `fields` override. */
export function makeMessage(fields: Partial<Message> & { type: MessageType }): Message {
  // Explicit fields (not an object spread): this is on the hot path of every send.
  const message: Message = {
    type: fields.type, to: fields.to ?? 0n, from: fields.from ?? 0n, term: fields.term ?? 0,
    logTerm: fields.logTerm ?? 0, index: fields.index ?? 0, entries: fields.entries ?? [],
    commit: fields.commit ?? 0, reject: fields.reject ?? false, rejectHint: fields.rejectHint ?? 0,
    context: fields.context ?? EMPTY,
  };
  if (fields.snapshot !== undefined) message.snapshot = fields.snapshot;
  return message;
}

/** Message types that only the local node may step (never received from the network). */
export function isLocalMessage(type: MessageType): boolean {
  return type === MessageType.Hup || type === MessageType.Beat || type === MessageType.Unreachable ||
    type === MessageType.SnapStatus || type === MessageType.CheckQuorum || type === MessageType.ForgetLeader;
}

/** Responses, which the leader ignores from peers it no longer tracks. */
export function isResponseMessage(type: MessageType): boolean {
  return type === MessageType.AppResp || type === MessageType.VoteResp || type === MessageType.HeartbeatResp ||
    type === MessageType.PreVoteResp || type === MessageType.Unreachable || type === MessageType.ReadIndexResp;
}

export function voteResponseType(type: MessageType): MessageType {
  return type === MessageType.PreVote ? MessageType.PreVoteResp : MessageType.VoteResp;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}
