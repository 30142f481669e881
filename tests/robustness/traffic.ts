/**
 * Traffic generators. Each client is pinned to one member (client i → active member i mod n), runs one
 * request at a time and records it in the Recorder. Profiles:
 *   - kv: Put, Range (linearizable + serializable), DeleteRange, Txn CAS on mod_revision, lease grant/revoke
 *     with keys attached (lease keys `lk*` are written only with leases), prefix lists.
 *   - k8s: Kubernetes-like: paginated lists (limit + the first page's revision), creates and optimistic
 *     updates/deletes via Txn on mod_revision after a read.
 *   - lease: the kv mix with short leases (2-5 s TTL) that are kept alive, left to expire or revoked
 *     (lease-traffic.ts).
 */
import type { Rng } from './rng.js';
import { bytes, pb, toKv, type Op, type Recorder } from './history.js';
import type { MemberConnection } from './rpc.js';
import { LeaseClient } from './lease-traffic.js';

export type Profile = 'kv' | 'k8s' | 'lease';

/** Keys of each profile (about ten, so operations conflict often). */
export function keySpace(profile: Profile): { keys: string[]; leaseKeys: string[]; prefix: string; rangeEnd: string } {
  if (profile === 'k8s') {
    return { keys: Array.from({ length: 10 }, (_, i) => `/registry/pods/p${i}`), leaseKeys: [],
      prefix: '/registry/pods/', rangeEnd: '/registry/pods0' };
  }
  return { keys: Array.from({ length: 10 }, (_, i) => `k${i}`),
    leaseKeys: Array.from({ length: profile === 'lease' ? 6 : 4 }, (_, i) => `lk${i}`), prefix: 'k', rangeEnd: 'l' };
}

export interface ClientContext {
  recorder: Recorder;
  profile: Profile;
  /** The member this client talks to now. */
  connection(client: number): { member: string; conn: MemberConnection };
  stopped(): boolean;
}

/** Pause between two requests of one client (pacing on a shared 2-CPU machine). */
const PACING_MS_MAX = 15;
/** Pause after a failed request (the member is probably down: do not spin). */
const FAILURE_BACKOFF_MS = 100;
/** Long enough that no lease expires during a run (expiry deletes are not modelled). */
const LEASE_TTL_S = 7_200;
const PAGE_LIMIT = 4;

/** Runs one client until ctx.stopped(). */
export async function runClient(client: number, rng: Rng, ctx: ClientContext): Promise<void> {
  const space = keySpace(ctx.profile);
  const leases: bigint[] = [];
  const shortLeases = new LeaseClient(rng, space.leaseKeys);
  let seq = 0;
  const value = (): string => `c${client}-${++seq}`;
  while (!ctx.stopped()) {
    const { member, conn } = ctx.connection(client);
    const call = new Caller(ctx.recorder, client, member, conn);
    const key = rng.pick(space.keys);
    if (ctx.profile === 'lease' && rng.next() < shortLeases.share) {
      await shortLeases.step(call, value, ctx.recorder.now());
    } else if (ctx.profile === 'k8s') {
      const kind = rng.weighted({ list: 3, get: 2, create: 2, update: 5, delete: 1 });
      if (kind === 'list') await call.paginatedList(space.prefix, space.rangeEnd);
      else if (kind === 'get') await call.get(key, rng.next() < 0.3);
      else if (kind === 'create') await call.cas(key, 0, value(), false);
      else {
        const read = await call.get(key, false);
        if (read !== undefined) await call.cas(key, read.kvs?.[0]?.mod ?? 0, value(), kind === 'delete');
      }
    } else {
      const kind = rng.weighted({ put: 6, get: 5, sget: 2, del: 2, cas: 4, lput: 2, grant: 1, revoke: 1, list: 1 });
      if (kind === 'put') await call.put(key, value(), 0n);
      else if (kind === 'get' || kind === 'sget') await call.get(key, kind === 'sget');
      else if (kind === 'del') await call.del(key);
      else if (kind === 'list') await call.list(space.prefix, space.rangeEnd, 0, 0);
      else if (kind === 'cas') {
        const read = await call.get(key, false);
        if (read !== undefined) await call.cas(key, read.kvs?.[0]?.mod ?? 0, value(), rng.next() < 0.2);
      } else if (kind === 'grant' || leases.length === 0) {
        const id = await call.leaseGrant();
        if (id !== undefined) leases.push(id);
      } else if (kind === 'lput') await call.put(rng.pick(space.leaseKeys), value(), rng.pick(leases));
      else {
        const id = leases.splice(rng.int(leases.length), 1)[0]!;
        await call.leaseRevoke(id);
      }
    }
    await new Promise((resolve) => setTimeout(resolve, call.failed ? FAILURE_BACKOFF_MS : rng.int(PACING_MS_MAX)));
  }
}

/** Issues one recorded request at a time on one connection. */
export class Caller {
  /** True once a request of this caller failed. */
  failed = false;

  constructor(private readonly rec: Recorder, private readonly client: number, private readonly member: string,
    private readonly conn: MemberConnection) {}

  async put(key: string, value: string, lease: bigint): Promise<void> {
    const op = this.begin({ kind: 'put', key, value, lease: lease.toString() });
    await this.run(op, async () => {
      const r = await this.conn.put({ key: bytes(key), value: bytes(value), lease });
      return { rev: r.header?.revision ?? 0 };
    });
  }

  async get(key: string, serializable: boolean): Promise<Op | undefined> {
    const op = this.begin({ kind: 'get', key, serializable });
    return this.run(op, async () => {
      const r = await this.conn.range({ key: bytes(key), serializable });
      return { rev: r.header?.revision ?? 0, kvs: r.kvs.map(toKv), count: r.count };
    });
  }

  async del(key: string): Promise<void> {
    const op = this.begin({ kind: 'delete', key });
    await this.run(op, async () => {
      const r = await this.conn.deleteRange({ key: bytes(key) });
      return { rev: r.header?.revision ?? 0, deleted: r.deleted };
    });
  }

  async cas(key: string, expectMod: number, value: string, thenDelete: boolean): Promise<void> {
    const op = this.begin({ kind: 'cas', key, expectMod, thenDelete, ...(thenDelete ? {} : { value }) });
    const compare = pb.Compare.create({ key: bytes(key), target: pb.Compare_CompareTarget.MOD,
      result: pb.Compare_CompareResult.EQUAL, modRevision: expectMod });
    const success = thenDelete
      ? pb.RequestOp.create({ requestDeleteRange: pb.DeleteRangeRequest.create({ key: bytes(key) }) })
      : pb.RequestOp.create({ requestPut: pb.PutRequest.create({ key: bytes(key), value: bytes(value) }) });
    const failure = pb.RequestOp.create({ requestRange: pb.RangeRequest.create({ key: bytes(key) }) });
    await this.run(op, async () => {
      const r = await this.conn.txn({ compare: [compare], success: [success], failure: [failure] });
      const range = r.responses[0]?.responseRange;
      return { rev: r.header?.revision ?? 0, succeeded: r.succeeded,
        ...(range === undefined ? {} : { kvs: range.kvs.map(toKv) }) };
    });
  }

  /** Grants a lease of `ttlS` seconds; returns its id and the TTL the server answered. */
  async leaseGrant(ttlS = LEASE_TTL_S): Promise<bigint | undefined> {
    return (await this.leaseGrantTtl(ttlS))?.id;
  }

  async leaseGrantTtl(ttlS: number): Promise<{ id: bigint; ttlS: number } | undefined> {
    const op = this.begin({ kind: 'leaseGrant', ttl: ttlS });
    let out: { id: bigint; ttlS: number } | undefined;
    await this.run(op, async () => {
      const r = await this.conn.leaseGrant({ TTL: ttlS });
      out = { id: r.ID, ttlS: r.TTL };
      return { rev: r.header?.revision ?? 0, lease: r.ID.toString(), ttl: r.TTL };
    });
    return out;
  }

  /** One keepalive; returns the TTL answered (0: the lease is gone) or undefined on failure. */
  async leaseKeepAlive(id: bigint): Promise<number | undefined> {
    const op = this.begin({ kind: 'leaseKeepAlive', lease: id.toString() });
    const done = await this.run(op, async () => {
      const r = await this.conn.leaseKeepAlive(id);
      return { rev: r.header?.revision ?? 0, ttl: r.TTL };
    });
    return done?.ttl;
  }

  async leaseRevoke(id: bigint): Promise<void> {
    const op = this.begin({ kind: 'leaseRevoke', lease: id.toString() });
    await this.run(op, async () => {
      const r = await this.conn.leaseRevoke({ ID: id });
      return { rev: r.header?.revision ?? 0 };
    });
  }

  async list(key: string, rangeEnd: string, limit: number, atRevision: number): Promise<Op | undefined> {
    const op = this.begin({ kind: 'list', key, rangeEnd, limit, atRevision });
    return this.run(op, async () => {
      const r = await this.conn.range({ key: bytes(key), rangeEnd: bytes(rangeEnd), limit, revision: atRevision });
      return { rev: r.header?.revision ?? 0, kvs: r.kvs.map(toKv), more: r.more, count: r.count };
    });
  }

  /** Kubernetes-style list: pages of PAGE_LIMIT keys, all at the first page's revision. */
  async paginatedList(prefix: string, rangeEnd: string): Promise<void> {
    const first = await this.list(prefix, rangeEnd, PAGE_LIMIT, 0);
    if (first === undefined) return;
    let page = first;
    while (page.more === true && page.kvs !== undefined && page.kvs.length > 0) {
      const next = await this.list(`${page.kvs[page.kvs.length - 1]!.key}\0`, rangeEnd, PAGE_LIMIT, first.rev ?? 0);
      if (next === undefined) return;
      page = next;
    }
  }

  private begin(init: Omit<Op, 'id' | 'invokeMs' | 'completeMs' | 'client' | 'member'>): Op {
    return this.rec.invoke({ ...init, client: this.client, member: this.member });
  }

  /** Runs the call; on failure records the error and returns undefined. */
  private async run(op: Op, body: () => Promise<Partial<Op>>): Promise<Op | undefined> {
    try {
      this.rec.complete(op, await body());
      return op;
    } catch (error) {
      this.rec.fail(op, error);
      this.failed = true;
      return undefined;
    }
  }
}
