/**
 * The interaction-test environment: a set of RawNodes on MemoryStorage with a manual message queue
 * and a text output buffer. Command handlers (handlers*.ts) drive it; see README.md in src/raft.
 */
import { assert } from '../../base/assert.js';
import { SeededRandom } from '../../base/random.js';
import type { Config } from '../api.js';
import type { RaftLogger } from '../logger.js';
import { MemoryStorage } from '../memory-storage.js';
import { RawNode } from '../raw-node.js';
import type { ConfState, Message, NodeId } from '../types.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'none';
const LEVEL_RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, none: 3 };

export interface EnvNode {
  id: NodeId;
  node: RawNode;
  storage: MemoryStorage;
  config: Config;
  /** ConfState in effect after each applied index at which it changed (ascending). */
  confHistory: { index: number; confState: ConfState }[];
}

export class InteractionEnv {
  readonly nodes: EnvNode[] = [];
  /** Messages sent and not yet delivered, in send order. */
  messages: Message[] = [];
  private output: string[] = [];
  private indent = '';
  level: LogLevel = 'info';

  /** Appends a line (indented by the current block) to the command's output. */
  print(line: string): void {
    this.output.push(this.indent + line);
  }

  /** Runs `fn` with output indented by two more spaces. */
  indented(fn: () => void): void {
    const previous = this.indent;
    this.indent += '  ';
    try {
      fn();
    } finally {
      this.indent = previous;
    }
  }

  /** Takes the output collected so far ('ok' if none). */
  takeOutput(): string {
    const text = this.output.join('\n');
    this.output = [];
    return text === '' ? 'ok' : text;
  }

  loggerFor(): RaftLogger {
    const emit = (level: LogLevel, text: string): void => {
      if (LEVEL_RANK[level] >= LEVEL_RANK[this.level]) this.print(`${level.toUpperCase()} ${text}`);
    };
    return {
      debug: (text) => emit('debug', text),
      info: (text) => emit('info', text),
      warn: (text) => emit('warn', text),
    };
  }

  /** @throws Error if no node has this id. */
  get(id: NodeId): EnvNode {
    const found = this.nodes.find((n) => n.id === id);
    if (found === undefined) throw new Error(`no node ${id}`);
    return found;
  }

  /** Creates a node on `storage` (the config's storage) and registers it. */
  addNode(config: Config, storage: MemoryStorage, confState: ConfState, appliedIndex: number): EnvNode {
    assert(config.storage === storage, 'config must use the env storage');
    const node = new RawNode(config, this.loggerFor());
    const entry: EnvNode = { id: config.id, node, storage, config, confHistory: [{ index: appliedIndex, confState }] };
    const existing = this.nodes.findIndex((n) => n.id === config.id);
    if (existing >= 0) this.nodes[existing] = entry;
    else this.nodes.push(entry);
    this.nodes.sort((a, b) => (a.id < b.id ? -1 : 1));
    return entry;
  }

  /** Default config for node `id` (election 3 ticks, heartbeat 1, like etcd-raft's interaction env). */
  defaultConfig(id: NodeId, storage: MemoryStorage): Config {
    return {
      id, electionTick: 3, heartbeatTick: 1, storage, random: new SeededRandom(id), maxInflightMsgs: 256,
      maxSizePerMsg: Number.MAX_SAFE_INTEGER,
    };
  }

  /** The ConfState in effect at applied index `index`. */
  confStateAt(node: EnvNode, index: number): ConfState {
    let result = node.confHistory[0]!.confState;
    for (const h of node.confHistory) if (h.index <= index) result = h.confState;
    return result;
  }
}
