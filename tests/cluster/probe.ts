/**
 * In-process leader probe: etcd's Maintenance.Status over gRPC (etcd3's raw MaintenanceClient), cheap
 * enough to poll every few tens of milliseconds, unlike spawning etcdctl on a loaded machine.
 */
import { Etcd3, type IOptions } from 'etcd3';
import { assert } from '../../src/base/assert.js';
import { delay, type ClusterMember } from '../helpers/cluster.js';

/** Deadline of one Status call. */
const STATUS_TIMEOUT_MS = 500;
/** Interval between probe rounds. */
const PROBE_INTERVAL_MS = 20;

type Policy = NonNullable<NonNullable<IOptions['faultHandling']>['global']>;

/** Runs each call exactly once: no retries, no circuit breaker. */
const singleAttempt = {
  execute: <T>(fn: (context: { signal: AbortSignal; attempt: number }) => T | Promise<T>): Promise<T> =>
    Promise.resolve().then(() => fn({ signal: new AbortController().signal, attempt: 0 })),
} as unknown as Policy;

function statusClient(member: ClusterMember): Etcd3 {
  return new Etcd3({
    hosts: member.clientUrl,
    faultHandling: { host: () => singleAttempt, global: singleAttempt },
    defaultCallOptions: () => ({ deadline: Date.now() + STATUS_TIMEOUT_MS }),
  });
}

/**
 * Polls Status on every member in `members` until one reports a leader other than `oldLeaderId`
 * (and not 0). Returns that member's report and the time since `sinceMs`.
 * @throws Error after `timeoutMs`.
 */
export async function waitForNewLeader(members: readonly ClusterMember[], oldLeaderId: bigint, sinceMs: number,
  timeoutMs: number): Promise<{ reporter: ClusterMember; leaderId: bigint; elapsedMs: number }> {
  assert(members.length > 0, 'members to probe');
  const clients = members.map((m) => statusClient(m));
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      const reports = await Promise.all(clients.map(async (client, i) => {
        try {
          const status = await client.maintenance.status();
          return { member: members[i]!, leaderId: BigInt(status.leader), atMs: Date.now() };
        } catch {
          return undefined;
        }
      }));
      const found = reports.filter((r) => r !== undefined && r.leaderId !== 0n && r.leaderId !== oldLeaderId)
        .sort((a, b) => a!.atMs - b!.atMs)[0];
      if (found !== undefined) {
        return { reporter: found.member, leaderId: found.leaderId, elapsedMs: found.atMs - sinceMs };
      }
      if (Date.now() > deadline) throw new Error(`no new leader reported within ${timeoutMs} ms`);
      await delay(PROBE_INTERVAL_MS);
    }
  } finally {
    for (const client of clients) client.close();
  }
}
