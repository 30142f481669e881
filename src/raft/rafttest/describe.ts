/** Human-readable renderings of raft data for the interaction tests (stable, golden-file friendly). */
import { decodeConfChangeV2 } from '../conf-change-codec.js';
import { messageName } from '../step.js';
import { stateName } from '../raft.js';
import {
  ConfChangeTransition, ConfChangeType, EntryType,
  type ConfChangeV2, type ConfState, type Entry, type HardState, type Message, type Ready, type Snapshot,
} from '../types.js';

const decoder = new TextDecoder();

function ids(list: readonly bigint[]): string {
  return list.map(String).join(' ');
}

export function describeConfState(cs: ConfState): string {
  let text = `Voters:[${ids(cs.voters)}]`;
  if (cs.votersOutgoing.length > 0) text += `&&[${ids(cs.votersOutgoing)}]`;
  text += ` Learners:[${ids(cs.learners)}]`;
  if (cs.learnersNext.length > 0) text += ` LearnersNext:[${ids(cs.learnersNext)}]`;
  if (cs.autoLeave) text += ' AutoLeave:true';
  return text;
}

const CHANGE_PREFIX: Record<ConfChangeType, string> = {
  [ConfChangeType.AddNode]: 'v', [ConfChangeType.RemoveNode]: 'r',
  [ConfChangeType.UpdateNode]: 'u', [ConfChangeType.AddLearnerNode]: 'l',
};

export function describeConfChange(cc: ConfChangeV2): string {
  const parts = cc.changes.map((c) => `${CHANGE_PREFIX[c.type]}${c.nodeId}`);
  if (cc.transition === ConfChangeTransition.JointImplicit) parts.unshift('implicit');
  if (cc.transition === ConfChangeTransition.JointExplicit) parts.unshift('explicit');
  return parts.length === 0 ? 'leave-joint' : parts.join(' ');
}

export function describeEntry(e: Entry): string {
  switch (e.type) {
    case EntryType.Normal: return `${e.term}/${e.index} EntryNormal ${JSON.stringify(decoder.decode(e.data))}`;
    case EntryType.ConfChange: return `${e.term}/${e.index} EntryConfChange`;
    case EntryType.ConfChangeV2:
      return `${e.term}/${e.index} EntryConfChangeV2 ${describeConfChange(decodeConfChangeV2(e.data))}`;
  }
}

export function describeEntries(entries: readonly Entry[]): string {
  return entries.map(describeEntry).join(', ');
}

export function describeHardState(hs: HardState): string {
  return `HardState Term:${hs.term} Vote:${hs.vote} Commit:${hs.commit}`;
}

export function describeSnapshot(s: Snapshot): string {
  return `Index:${s.metadata.index} Term:${s.metadata.term} ConfState:${describeConfState(s.metadata.confState)}`;
}

export function describeMessage(m: Message): string {
  let text = `${m.from}->${m.to} ${messageName(m.type)} Term:${m.term} Log:${m.logTerm}/${m.index}`;
  if (m.reject) text += ` Rejected (Hint: ${m.rejectHint})`;
  if (m.commit !== 0) text += ` Commit:${m.commit}`;
  if (m.entries.length > 0) text += ` Entries:[${describeEntries(m.entries)}]`;
  if (m.context.byteLength > 0) text += ` Context:${JSON.stringify(decoder.decode(m.context))}`;
  if (m.snapshot !== undefined) text += ` Snapshot: ${describeSnapshot(m.snapshot)}`;
  return text;
}

/** Multi-line description of a Ready, as printed by process-ready. */
export function describeReady(rd: Ready): string[] {
  const lines = [`Ready MustSync=${rd.mustSync}:`];
  if (rd.softState !== undefined) lines.push(`Lead:${rd.softState.lead} State:${stateName(rd.softState.raftState)}`);
  if (rd.hardState !== undefined) lines.push(describeHardState(rd.hardState));
  if (rd.readStates.length > 0) {
    lines.push('ReadStates:', ...rd.readStates.map((rs) =>
      `Index:${rs.index} RequestCtx:${JSON.stringify(decoder.decode(rs.requestCtx))}`));
  }
  if (rd.entries.length > 0) lines.push('Entries:', ...rd.entries.map(describeEntry));
  if (rd.snapshot !== undefined) lines.push(`Snapshot ${describeSnapshot(rd.snapshot)}`);
  if (rd.committedEntries.length > 0) lines.push('CommittedEntries:', ...rd.committedEntries.map(describeEntry));
  if (rd.messages.length > 0) lines.push('Messages:', ...rd.messages.map(describeMessage));
  return lines;
}
