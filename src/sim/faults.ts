/**
 * The fault schedule of the safety phase: partitions (symmetric splits, isolated nodes, one-way links)
 * that heal after a while, and node crashes followed by restarts. All choices come from the run's seed.
 */
import { assert } from '../base/assert.js';
import type { Random } from '../base/random.js';
import type { TraceDigest } from './hash.js';
import type { SimNetwork } from './network.js';
import type { SimOptions } from './options.js';
import type { SimNode } from './sim-node.js';

export class FaultInjector {
  private partitionHealTick = -1;
  private readonly restartAt = new Map<number, number>();
  private readonly rejoinAt = new Map<number, number>();
  readonly stats = { partitions: 0, oneWay: 0, crashes: 0, restarts: 0, isolations: 0, figure8: 0 };

  constructor(private readonly options: SimOptions, private readonly random: Random,
    private readonly network: SimNetwork, private readonly digest: TraceDigest) {}

  /** Runs one tick of the schedule over `nodes` (only started, not removed nodes take part). */
  step(now: number, nodes: readonly SimNode[], leader: SimNode | undefined): void {
    this.stepPartitions(now, nodes);
    this.stepCrashes(now, nodes);
    this.stepIsolations(now);
    if (leader === undefined || !leader.alive) return;
    const o = this.options;
    if (this.random.float() < o.leaderCrashRate) {
      this.crash(now, leader);
    } else if (o.figure8Rate > 0 && leader.inFigure8Window() && this.random.float() < o.figure8Rate) {
      this.stats.figure8 += 1;
      if (this.random.float() < 0.5) this.crash(now, leader);
      else this.isolate(now, leader);
    } else if (leader.commit < leader.lastIndex && this.random.float() < o.leaderIsolateRate) {
      this.isolate(now, leader);
    }
  }

  private isolate(now: number, node: SimNode): void {
    if (this.rejoinAt.has(node.idNumber)) return;
    this.network.isolate(node.id);
    this.rejoinAt.set(node.idNumber, now + 1 + this.random.intBelow(this.options.isolationTicksMax));
    this.stats.isolations += 1;
    this.digest.add(15, node.idNumber);
  }

  private stepIsolations(now: number): void {
    for (const [id, at] of [...this.rejoinAt]) {
      if (at > now) continue;
      this.rejoinAt.delete(id);
      this.network.rejoin(BigInt(id));
      this.digest.add(16, id);
    }
  }

  private crash(now: number, victim: SimNode): void {
    victim.crash();
    this.stats.crashes += 1;
    this.restartAt.set(victim.idNumber, now + 1 + this.random.intBelow(this.options.downTicksMax));
  }

  private stepPartitions(now: number, nodes: readonly SimNode[]): void {
    if (this.partitionHealTick >= 0) {
      if (now < this.partitionHealTick) return;
      this.network.heal();
      this.partitionHealTick = -1;
      this.digest.add(10, now);
      return;
    }
    if (this.random.float() >= this.options.partitionRate || nodes.length < 2) return;
    const ids = nodes.map((n) => n.id);
    if (this.random.float() < this.options.oneWayPartitionRate) {
      const links = 1 + this.random.intBelow(ids.length);
      for (let i = 0; i < links; i++) {
        const from = ids[this.random.intBelow(ids.length)]!;
        const to = ids[this.random.intBelow(ids.length)]!;
        if (from !== to) this.network.blockOneWay(from, to);
      }
      this.stats.oneWay += 1;
    } else {
      const shuffled = shuffle(this.random, ids);
      const cut = 1 + this.random.intBelow(ids.length - 1);
      this.network.partition(shuffled.slice(0, cut), shuffled.slice(cut));
      this.stats.partitions += 1;
    }
    this.partitionHealTick = now + 1 + this.random.intBelow(this.options.partitionTicksMax);
    this.digest.add(11, now, this.partitionHealTick);
  }

  private stepCrashes(now: number, nodes: readonly SimNode[]): void {
    for (const node of nodes) {
      const at = this.restartAt.get(node.idNumber);
      if (at === undefined || at > now) continue;
      this.restartAt.delete(node.idNumber);
      if (!node.alive && !node.removed) {
        node.start();
        this.stats.restarts += 1;
      }
    }
    if (this.random.float() >= this.options.crashRate) return;
    const alive = nodes.filter((n) => n.alive);
    if (alive.length === 0) return;
    this.crash(now, alive[this.random.intBelow(alive.length)]!);
  }

  /** Ends all faults: heals the network and restarts every crashed (not removed) node. */
  healAll(nodes: readonly SimNode[]): void {
    this.network.healAll();
    this.rejoinAt.clear();
    this.partitionHealTick = -1;
    for (const node of nodes) {
      if (!node.alive && !node.removed) {
        node.start();
        this.stats.restarts += 1;
      }
    }
    this.restartAt.clear();
  }
}

function shuffle<T>(random: Random, values: readonly T[]): T[] {
  const out = [...values];
  for (let i = out.length - 1; i > 0; i--) {
    const j = random.intBelow(i + 1);
    const tmp = out[i]!;
    out[i] = out[j]!;
    out[j] = tmp;
  }
  assert(out.length === values.length, 'shuffle lost elements');
  return out;
}
