/**
 * Simulated clients. Each client has at most one request in flight (so its requests are totally
 * ordered), sends it to the node it believes is leader or to a random node, and gives up after a timeout.
 * Every put/cas value is unique, so a read identifies the write it observed. The workload keeps the
 * history per key for the linearizability checker:
 *  - a completed request gets its output and return time;
 *  - a write that timed out (or whose node crashed) has an unknown outcome: output undefined, return ∞;
 *  - a read that timed out, and a write that raft refused up front, had no effect and is left out.
 */
import { assert } from '../base/assert.js';
import type { Random } from '../base/random.js';
import type { ClientOp, ClientSink } from './client-ops.js';
import type { TraceDigest } from './hash.js';
import type { SimOptions } from './options.js';
import type { RegisterInput, RegisterOperation, RegisterOutput } from './register-model.js';
import type { SimNode } from './sim-node.js';

/** Client id used by the liveness probe. */
export const PROBE_CLIENT = 0;
export const PROBE_KEY = 'probe';

/** How many ops a run may record; more means the run is misconfigured. */
export const HISTORY_OPS_MAX = 50_000;

interface ClientState {
  id: number;
  nextOpId: number;
  inFlight: ClientOp | undefined;
}

export class Workload implements ClientSink {
  private readonly clients: ClientState[] = [];
  private readonly history = new Map<string, RegisterOperation[]>();
  private readonly lastValue = new Map<string, string | null>();
  private readonly probe: ClientState = { id: PROBE_CLIENT, nextOpId: 1, inFlight: undefined };
  private clock = 0;
  private recorded = 0;
  /** Applied index of the probe at the node that completed it, once done. */
  probeDone = false;
  readonly stats = { issued: 0, completed: 0, unknown: 0, refused: 0 };

  constructor(private readonly options: SimOptions, private readonly random: Random,
    private readonly digest: TraceDigest, private readonly now: () => number) {
    for (let i = 1; i <= options.clientCount; i++) this.clients.push({ id: i, nextOpId: 1, inFlight: undefined });
  }

  /** Lets idle clients issue requests to nodes chosen by `pickNode`. */
  issue(pickNode: () => SimNode | undefined): void {
    for (const client of this.clients) {
      if (client.inFlight !== undefined || this.random.float() >= this.options.proposalRate) continue;
      const node = pickNode();
      if (node === undefined) continue;
      const key = `k${this.random.intBelow(this.options.keyCount)}`;
      this.send(client, node, key, this.chooseInput(client, key));
    }
  }

  private chooseInput(client: ClientState, key: string): RegisterInput {
    const roll = this.random.float();
    const value = `c${client.id}.${client.nextOpId}`;
    if (roll < this.options.readRatio) return { kind: 'get' };
    if (roll < this.options.readRatio + this.options.casRatio) {
      const expected = this.random.float() < 0.8 ? (this.lastValue.get(key) ?? null) : null;
      return { kind: 'cas', expected, value };
    }
    return { kind: 'put', value };
  }

  private send(client: ClientState, node: SimNode, key: string, input: RegisterInput): void {
    const now = this.now();
    const op: ClientOp = {
      client: client.id, opId: client.nextOpId++, key, input, node: node.idNumber,
      invokeTick: now, deadlineTick: now + this.options.clientTimeoutTicks, callTime: this.clock++,
    };
    this.stats.issued += 1;
    this.digest.add(7, op.client, op.opId, node.idNumber);
    if (input.kind === 'get') {
      node.submitRead(op);
    } else if (!node.submitWrite(op)) {
      this.stats.refused += 1;
      return;
    }
    client.inFlight = op;
  }

  /** Sends the liveness probe (a put) to `node` unless one is in flight. */
  sendProbe(node: SimNode): void {
    if (this.probe.inFlight !== undefined || this.probeDone) return;
    this.send(this.probe, node, PROBE_KEY, { kind: 'put', value: `probe.${this.probe.nextOpId}` });
  }

  complete(op: ClientOp, output: Exclude<RegisterOutput, undefined>): void {
    const client = op.client === PROBE_CLIENT ? this.probe : this.clients[op.client - 1];
    assert(client !== undefined && client.inFlight === op, `completion of an op not in flight: c${op.client}.${op.opId}`);
    client.inFlight = undefined;
    this.record(op, output, this.clock++);
    this.stats.completed += 1;
    if (output.kind === 'get') this.lastValue.set(op.key, output.value);
    else if (op.input.kind !== 'get' && (output.kind === 'put' || output.ok)) this.lastValue.set(op.key, op.input.value);
    if (op.client === PROBE_CLIENT) this.probeDone = true;
    this.digest.add(8, op.client, op.opId);
  }

  /** Gives up on requests past their deadline (all of them if `all`). */
  expire(nodes: ReadonlyMap<number, SimNode>, all = false): void {
    const now = this.now();
    for (const client of [...this.clients, this.probe]) {
      const op = client.inFlight;
      if (op === undefined || (!all && op.deadlineTick > now)) continue;
      client.inFlight = undefined;
      nodes.get(op.node)?.forget(op);
      if (op.input.kind !== 'get') {
        this.record(op, undefined, Infinity);
        this.stats.unknown += 1;
      }
    }
  }

  private record(op: ClientOp, output: RegisterOutput, returnTime: number): void {
    let ops = this.history.get(op.key);
    if (ops === undefined) {
      ops = [];
      this.history.set(op.key, ops);
    }
    ops.push({ client: op.client, input: op.input, output, callTime: op.callTime, returnTime });
    this.recorded += 1;
    assert(this.recorded <= HISTORY_OPS_MAX, 'history too long');
  }

  /** True while any client request is outstanding. */
  get busy(): boolean {
    return this.clients.some((c) => c.inFlight !== undefined);
  }

  /** The history, partitioned by key. */
  partitions(): ReadonlyMap<string, readonly RegisterOperation[]> {
    return this.history;
  }
}
