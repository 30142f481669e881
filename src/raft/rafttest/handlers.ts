/** The interaction-test command table: parses a command's args and drives the env. */
import { MemoryStorage, emptyConfState } from '../memory-storage.js';
import { ReadOnlyOption } from '../api.js';
import { stateName } from '../raft.js';
import {
  ConfChangeTransition, ConfChangeType, StateType,
  type ConfChangeSingle, type ConfState, type NodeId,
} from '../types.js';
import { describeConfState, describeEntry, describeHardState } from './describe.js';
import type { EnvNode, InteractionEnv, LogLevel } from './env.js';
import { deliverMessages, dropMessages, processReady, stabilize } from './handlers-ready.js';
import type { ScriptArg } from './script.js';

const encoder = new TextEncoder();

function argValue(args: ScriptArg[], key: string): string | undefined {
  return args.find((a) => a.key === key)?.values[0];
}

function argIds(args: ScriptArg[], key: string): NodeId[] {
  return (args.find((a) => a.key === key)?.values ?? []).map((v) => BigInt(v));
}

/** Positional args (no '=') parsed as node ids. */
function positionalIds(args: ScriptArg[]): NodeId[] {
  return args.filter((a) => a.values.length === 0 && /^\d+$/.test(a.key)).map((a) => BigInt(a.key));
}

function positionalNodes(env: InteractionEnv, args: ScriptArg[]): EnvNode[] {
  const ids = positionalIds(args);
  return ids.length === 0 ? env.nodes : ids.map((id) => env.get(id));
}

function firstNode(env: InteractionEnv, args: ScriptArg[]): EnvNode {
  const id = positionalIds(args)[0];
  if (id === undefined) throw new Error('expected a node id');
  return env.get(id);
}

function boolArg(args: ScriptArg[], key: string): boolean | undefined {
  const value = argValue(args, key);
  return value === undefined ? undefined : value === 'true';
}

function intArg(args: ScriptArg[], key: string): number | undefined {
  const value = argValue(args, key);
  return value === undefined ? undefined : Number(value);
}

function addNodes(env: InteractionEnv, args: ScriptArg[]): void {
  const count = Number(args[0]?.key ?? '1');
  const confState: ConfState = { ...emptyConfState(), voters: argIds(args, 'voters'), learners: argIds(args, 'learners') };
  const index = intArg(args, 'index') ?? 0;
  const firstId = BigInt(env.nodes.length + 1);
  for (let i = 0; i < count; i++) {
    const id = firstId + BigInt(i);
    const storage = new MemoryStorage();
    if (index > 0) storage.applySnapshot({ data: new Uint8Array(0), metadata: { index, term: 1, confState } });
    const config = env.defaultConfig(id, storage);
    const checkQuorum = boolArg(args, 'checkquorum');
    if (checkQuorum !== undefined) config.checkQuorum = checkQuorum;
    const preVote = boolArg(args, 'prevote');
    if (preVote !== undefined) config.preVote = preVote;
    if (argValue(args, 'read-only') === 'lease-based') config.readOnlyOption = ReadOnlyOption.LeaseBased;
    const maxInflight = intArg(args, 'max-inflight');
    if (maxInflight !== undefined) config.maxInflightMsgs = maxInflight;
    const maxSize = intArg(args, 'max-size');
    if (maxSize !== undefined) config.maxSizePerMsg = maxSize;
    const maxCommitted = intArg(args, 'max-committed-size');
    if (maxCommitted !== undefined) config.maxCommittedSizePerReady = maxCommitted;
    const maxUncommitted = intArg(args, 'max-uncommitted-size');
    if (maxUncommitted !== undefined) config.maxUncommittedEntriesSize = maxUncommitted;
    if (boolArg(args, 'disable-forwarding') === true) config.disableProposalForwarding = true;
    env.addNode(config, storage, index > 0 ? confState : emptyConfState(), index);
  }
}

/** Recreates a node from its storage (a crash losing nothing persisted), keeping its applied index. */
function restart(env: InteractionEnv, args: ScriptArg[]): void {
  const node = firstNode(env, args);
  const applied = node.node.status().applied;
  env.messages = env.messages.filter((m) => m.to !== node.id && m.from !== node.id);
  const config = { ...node.config, applied };
  env.addNode(config, node.storage, env.confStateAt(node, applied), applied);
}

function parseChanges(args: ScriptArg[]): { transition: ConfChangeTransition; changes: ConfChangeSingle[] } {
  const types: Record<string, ConfChangeType> = {
    v: ConfChangeType.AddNode, l: ConfChangeType.AddLearnerNode,
    r: ConfChangeType.RemoveNode, u: ConfChangeType.UpdateNode,
  };
  const changes: ConfChangeSingle[] = [];
  for (const arg of args.slice(1)) {
    const match = /^([vlru])(\d+)$/.exec(arg.key);
    if (match !== null && arg.values.length === 0) changes.push({ type: types[match[1]!]!, nodeId: BigInt(match[2]!) });
  }
  const transitionName = argValue(args, 'transition') ?? 'auto';
  const transitions: Record<string, ConfChangeTransition> = {
    auto: ConfChangeTransition.Auto, implicit: ConfChangeTransition.JointImplicit,
    explicit: ConfChangeTransition.JointExplicit,
  };
  const transition = transitions[transitionName];
  if (transition === undefined) throw new Error(`unknown transition ${transitionName}`);
  return { transition, changes };
}

/** Ticks until the node's election (or, on a leader, check-quorum) timer fires once. */
function tickElection(env: InteractionEnv, node: EnvNode): void {
  const raft = node.node.internal;
  const ticks = raft.state === StateType.Leader
    ? raft.electionTimeout - raft.electionElapsed
    : raft.randomizedElectionTimeout - raft.electionElapsed;
  for (let i = 0; i < Math.max(ticks, 1); i++) node.node.tick();
}

function compact(env: InteractionEnv, args: ScriptArg[]): void {
  const node = firstNode(env, args);
  const index = Number(args[1]?.key);
  const applied = node.node.status().applied;
  if (!(index <= applied)) throw new Error(`cannot compact ${index}: applied is ${applied}`);
  node.storage.createSnapshot(index, env.confStateAt(node, index), encoder.encode(`snapshot@${index}`));
  node.storage.compact(index);
  raftLog(env, node);
}

function raftLog(env: InteractionEnv, node: EnvNode): void {
  const first = node.storage.firstIndex();
  const last = node.storage.lastIndex();
  if (last < first) {
    env.print(`log is empty: first index=${first}, last index=${last}`);
    return;
  }
  for (const entry of node.storage.entries(first, last + 1, Number.MAX_SAFE_INTEGER)) env.print(describeEntry(entry));
}

function status(env: InteractionEnv, node: EnvNode): void {
  const raft = node.node.internal;
  if (raft.state !== StateType.Leader) {
    env.print(`${node.id}: ${stateName(raft.state)} term=${raft.term} lead=${raft.lead}`);
    return;
  }
  raft.tracker.visit((id, pr) => env.print(`${id}: ${pr.describe()}`));
}

function raftState(env: InteractionEnv): void {
  for (const n of env.nodes) {
    const raft = n.node.internal;
    const role = raft.tracker.isVoter(n.id) ? 'Voter' : raft.isLearner ? 'Learner' : 'Non-Voter';
    env.print(`${n.id}: ${stateName(raft.state)} (${role}) Term:${raft.term} Lead:${raft.lead}`);
  }
}

type Handler = (env: InteractionEnv, args: ScriptArg[]) => void;

const HANDLERS: Record<string, Handler> = {
  'add-nodes': addNodes,
  'restart': restart,
  'campaign': (env, args) => firstNode(env, args).node.campaign(),
  'propose': (env, args) => {
    const result = firstNode(env, args).node.propose(encoder.encode(args[1]?.key ?? ''));
    if (result !== null) env.print(`raft: ${result}`);
  },
  'propose-conf-change': (env, args) => {
    const { transition, changes } = parseChanges(args);
    const result = firstNode(env, args).node.proposeConfChange({ transition, changes, context: new Uint8Array(0) });
    if (result !== null) env.print(`raft: ${result}`);
  },
  'process-ready': (env, args) => positionalNodes(env, args).forEach((n) => processReady(env, n)),
  'deliver-msgs': (env, args) => {
    for (const id of argIds(args, 'drop')) dropMessages(env, id);
    if (positionalIds(args).length > 0 || argIds(args, 'drop').length === 0) {
      positionalNodes(env, args).forEach((n) => deliverMessages(env, n));
    }
  },
  'stabilize': (env, args) => stabilize(env, positionalNodes(env, args)),
  'tick-election': (env, args) => tickElection(env, firstNode(env, args)),
  'tick-heartbeat': (env, args) => firstNode(env, args).node.tick(),
  'tick': (env, args) => {
    const node = firstNode(env, args);
    for (let i = 0; i < Number(args[1]?.key ?? '1'); i++) node.node.tick();
  },
  'transfer-leadership': (env, args) => {
    env.get(BigInt(argValue(args, 'from') ?? '0')).node.transferLeader(BigInt(argValue(args, 'to') ?? '0'));
  },
  'forget-leader': (env, args) => firstNode(env, args).node.forgetLeader(),
  'read-index': (env, args) => firstNode(env, args).node.readIndex(encoder.encode(args[1]?.key ?? '')),
  'report-unreachable': (env, args) => env.get(BigInt(args[0]!.key)).node.reportUnreachable(BigInt(args[1]!.key)),
  'report-snapshot': (env, args) => env.get(BigInt(args[0]!.key)).node.reportSnapshot(BigInt(args[1]!.key),
    argValue(args, 'status') === 'failure' ? 'failure' : 'finish'),
  'compact': compact,
  'raft-log': (env, args) => raftLog(env, firstNode(env, args)),
  'raft-state': (env) => raftState(env),
  'status': (env, args) => status(env, firstNode(env, args)),
  'hard-state': (env, args) => env.print(describeHardState(firstNode(env, args).node.status().hardState)),
  'conf-state': (env, args) => env.print(describeConfState(firstNode(env, args).node.status().config)),
  'log-level': (env, args) => {
    env.level = (args[0]?.key ?? 'info') as LogLevel;
  },
};

/** Runs one command and returns its output. Errors are printed (scripts may assert on them). */
export function handleCommand(env: InteractionEnv, command: string, args: ScriptArg[]): string {
  const handler = HANDLERS[command];
  if (handler === undefined) throw new Error(`unknown command ${command}`);
  try {
    handler(env, args);
  } catch (error) {
    env.print(`error: ${(error as Error).message}`);
  }
  return env.takeOutput();
}
