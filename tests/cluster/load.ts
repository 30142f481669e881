/**
 * A continuous write load for cluster tests: W concurrent writers put unique keys through raw gRPC
 * (etcd3's KVClient), switching to another member after an error. A write is recorded only once it is
 * acknowledged, so every recorded write must survive whatever happens to the cluster.
 */
import { assert } from '../../src/base/assert.js';
import { createKvClient, grpcErrorMessage, type KvTestClient } from '../helpers/grpc-client.js';
import { delay, waitFor, type Cluster, type ClusterMember } from '../helpers/cluster.js';

/** Deadline of one put: a write stuck on a dead or partitioned member fails fast and moves on. */
const PUT_TIMEOUT_MS = 3_000;
/** Pause after a failed write before trying the next member. */
const RETRY_PAUSE_MS = 50;
/** Distinct error texts kept for the report. */
const ERRORS_KEPT_MAX = 20;

/** Key range end for a prefix (the prefix with its last byte incremented). */
export function prefixEnd(prefix: string): Buffer {
  const end = Buffer.from(prefix);
  assert(end.length > 0 && end[end.length - 1]! < 0xff, 'prefix must end in a byte < 0xff');
  end[end.length - 1] = end[end.length - 1]! + 1;
  return end;
}

export class WriteLoad {
  /** Acknowledged writes: key → value. */
  readonly acked = new Map<string, string>();
  /** Distinct error messages seen (first ERRORS_KEPT_MAX). */
  readonly errors = new Set<string>();
  private stopped = false;
  private running: Promise<void> | undefined;
  private lastAckMs = Date.now();
  private maxGapMs = 0;
  private readonly clients = new Map<string, KvTestClient>();

  /**
   * @param targets returns the members writers may use right now (re-read after each error).
   */
  constructor(private readonly prefix: string, private readonly writers: number,
    private readonly targets: () => readonly ClusterMember[]) {
    assert(writers > 0, 'at least one writer');
  }

  /** Starts the writers (returns at once). */
  start(): void {
    assert(this.running === undefined, 'start once');
    this.lastAckMs = Date.now();
    this.running = Promise.all(Array.from({ length: this.writers }, (_, w) => this.writer(w))).then(() => undefined);
  }

  /** Stops the writers, waits for in-flight writes and closes the clients. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }

  /** Longest time with no acknowledged write since start (or since resetGap()). */
  get longestGapMs(): number {
    return Math.max(this.maxGapMs, Date.now() - this.lastAckMs);
  }

  resetGap(): void {
    this.maxGapMs = 0;
    this.lastAckMs = Date.now();
  }

  /** Resolves once `count` more writes were acknowledged; rejects after `timeoutMs`. */
  async waitForMoreAcks(count: number, timeoutMs: number): Promise<void> {
    const target = this.acked.size + count;
    await waitFor(`${count} more acknowledged writes (have ${this.acked.size})`, timeoutMs,
      () => Promise.resolve(this.acked.size >= target ? true : undefined));
  }

  private client(member: ClusterMember): KvTestClient {
    let client = this.clients.get(member.endpoint);
    if (client === undefined) {
      client = createKvClient(member.endpoint, PUT_TIMEOUT_MS);
      this.clients.set(member.endpoint, client);
    }
    return client;
  }

  private async writer(w: number): Promise<void> {
    let pick = w;
    for (let seq = 0; !this.stopped; seq++) {
      const key = `${this.prefix}w${w}/${String(seq).padStart(6, '0')}`;
      const value = `v-${w}-${seq}`;
      const members = this.targets();
      const member = members[pick % Math.max(members.length, 1)];
      if (member === undefined) {
        await delay(RETRY_PAUSE_MS);
        continue;
      }
      try {
        await this.client(member).kv.put({ key: Buffer.from(key), value: Buffer.from(value) });
        this.acked.set(key, value);
        const now = Date.now();
        this.maxGapMs = Math.max(this.maxGapMs, now - this.lastAckMs);
        this.lastAckMs = now;
      } catch (error) {
        if (this.errors.size < ERRORS_KEPT_MAX) this.errors.add(`${member.name}: ${grpcErrorMessage(error)}`);
        pick += 1;
        await delay(RETRY_PAUSE_MS);
      }
    }
  }
}

/**
 * Waits until `member` serves (serializable, i.e. from its own store) every key in `expected` with
 * its value under `prefix`.
 * @throws Error listing a few missing or wrong keys after `timeoutMs`.
 */
export async function waitForKeys(member: ClusterMember, prefix: string, expected: ReadonlyMap<string, string>,
  timeoutMs: number): Promise<void> {
  const client = createKvClient(member.endpoint, 20_000);
  let problems: string[] = [];
  try {
    await waitFor(`${member.name} to serve all ${expected.size} acknowledged keys`, timeoutMs, async () => {
      const res = await client.kv.range({ key: Buffer.from(prefix), range_end: prefixEnd(prefix), serializable: true });
      const stored = new Map(res.kvs.map((kv) => [kv.key.toString('utf8'), kv.value.toString('utf8')]));
      problems = [];
      for (const [key, value] of expected) {
        const got = stored.get(key);
        if (got !== value) problems.push(`${key}: expected ${value}, got ${got ?? '<missing>'}`);
      }
      if (problems.length === 0) return true;
      throw new Error(`${problems.length} wrong/missing, e.g. ${problems.slice(0, 5).join('; ')}`);
    });
  } finally {
    client.close();
  }
}

/**
 * Waits until `etcdctl endpoint hashkv` gives the same hash on every running member.
 * @throws Error with the last hashes after `timeoutMs`.
 */
export async function waitForEqualHashes(cluster: Cluster, timeoutMs: number): Promise<Map<string, string>> {
  let last = new Map<string, string>();
  try {
    return await waitFor('equal hashkv on all members', timeoutMs, async () => {
      last = await cluster.hashes();
      return new Set(last.values()).size === 1 ? last : undefined;
    });
  } catch (error) {
    throw new Error(`${(error as Error).message}; last hashes ${JSON.stringify([...last])}`);
  }
}
