/** process-ready, deliver-msgs and stabilize: moving Ready output through storage and the network. */
import { decodeConfChangeV2 } from '../conf-change-codec.js';
import { EntryType, type Message, type NodeId } from '../types.js';
import { describeConfState, describeMessage, describeReady } from './describe.js';
import type { EnvNode, InteractionEnv } from './env.js';

/** Rounds after which stabilize gives up (a livelock in a script is a bug). */
const STABILIZE_ROUNDS_MAX = 1000;

/** Handles one Ready of `node` in the documented order; prints it. Returns false if there was none. */
export function processReady(env: InteractionEnv, node: EnvNode): boolean {
  if (!node.node.hasReady()) return false;
  env.print(`> ${node.id} handling Ready`);
  env.indented(() => {
    const rd = node.node.ready();
    for (const line of describeReady(rd)) env.print(line);
    if (rd.snapshot !== undefined) {
      node.storage.applySnapshot(rd.snapshot);
      node.confHistory.push({ index: rd.snapshot.metadata.index, confState: rd.snapshot.metadata.confState });
    }
    node.storage.append(rd.entries);
    if (rd.hardState !== undefined) node.storage.setHardState(rd.hardState);
    env.messages.push(...rd.messages);
    for (const entry of rd.committedEntries) {
      if (entry.type !== EntryType.ConfChangeV2) continue;
      const confState = node.node.applyConfChange(decodeConfChangeV2(entry.data));
      node.confHistory.push({ index: entry.index, confState });
      env.print(`INFO ${node.id} switched to configuration ${describeConfState(confState)}`);
    }
    node.node.advance();
  });
  return true;
}

/** Removes and returns the queued messages addressed to `to`. */
function takeMessagesTo(env: InteractionEnv, to: NodeId): Message[] {
  const taken = env.messages.filter((m) => m.to === to);
  env.messages = env.messages.filter((m) => m.to !== to);
  return taken;
}

/** Delivers the queued messages for `node`; prints them. Returns the number delivered. */
export function deliverMessages(env: InteractionEnv, node: EnvNode): number {
  const messages = takeMessagesTo(env, node.id);
  if (messages.length === 0) return 0;
  env.print(`> ${node.id} receiving messages`);
  env.indented(() => {
    for (const m of messages) {
      env.print(describeMessage(m));
      env.indented(() => node.node.step(m));
    }
  });
  return messages.length;
}

/** Drops the queued messages addressed to `to`; prints them. */
export function dropMessages(env: InteractionEnv, to: NodeId): void {
  for (const m of takeMessagesTo(env, to)) env.print(`dropped: ${describeMessage(m)}`);
}

/** Processes Readys and delivers messages among `nodes` until nothing changes. */
export function stabilize(env: InteractionEnv, nodes: EnvNode[]): void {
  for (let round = 0; round < STABILIZE_ROUNDS_MAX; round++) {
    let done = true;
    for (const node of nodes) if (processReady(env, node)) done = false;
    for (const node of nodes) if (deliverMessages(env, node) > 0) done = false;
    if (done) return;
  }
  throw new Error(`stabilize did not converge in ${STABILIZE_ROUNDS_MAX} rounds`);
}
