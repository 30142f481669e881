/**
 * Leases on a 3-member cluster (subject only; E2E_SUBJECT=etcd runs the same checks on real etcd):
 * keepalive and time-to-live sent to a follower are forwarded to the leader; after the leader is
 * SIGKILLed the new leader refreshes the lease to a full TTL (never expiring it early) and then revokes
 * it, deleting its key.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Cluster } from '../helpers/cluster.js';
import { runEtcdctl } from '../helpers/etcdctl.js';
import { subjectKind } from '../helpers/oracle.js';

const ELECTION_TIMEOUT_MS = 1000;
const LEASE_TTL_S = 5;

let cluster: Cluster | undefined;

after(async () => {
  await cluster?.cleanup();
});

test('followers forward keepalives; a leader kill never expires a lease early, and it still expires', async () => {
  cluster = await Cluster.start({ kind: subjectKind(), size: 3, electionMs: ELECTION_TIMEOUT_MS });
  const leader = await cluster.leader();
  const followers = await cluster.followers();
  const follower = followers[0]!;
  const grantStartMs = performance.now();
  const grant = await runEtcdctl(follower.endpoint, ['lease', 'grant', String(LEASE_TTL_S)]);
  const id = /lease ([0-9a-f]+) granted/.exec(grant.stdout)?.[1];
  assert.ok(id !== undefined, grant.stdout + grant.stderr);
  assert.equal((await runEtcdctl(follower.endpoint, ['put', '--lease', id, 'e2e/cluster/k', 'v'])).stdout, 'OK\n');
  const keepAlive = await runEtcdctl(follower.endpoint, ['lease', 'keep-alive', '--once', id]);
  assert.equal(keepAlive.stdout, `lease ${id.padStart(16, '0')} keepalived with TTL(${LEASE_TTL_S})\n`, keepAlive.stderr);
  const renewedMs = performance.now();
  const ttl = await runEtcdctl(followers[1]!.endpoint, ['lease', 'timetolive', id]);
  assert.match(ttl.stdout, new RegExp(`granted with TTL\\(${LEASE_TTL_S}s\\), remaining\\([34]s\\)`), ttl.stderr);

  await leader.kill();
  const killedMs = performance.now();
  // Never early: present until the lease's own deadline; deleted by the new leader's refreshed deadline
  // (TTL + one election timeout after it took over) plus the time to elect it and a commit.
  const electionAllowanceMs = 5 * ELECTION_TIMEOUT_MS;
  for (;;) {
    const get = await runEtcdctl(follower.endpoint, ['get', 'e2e/cluster/k', '--consistency=s', '--print-value-only']);
    const nowMs = performance.now();
    if (get.stdout === '') {
      assert.ok(nowMs >= renewedMs + LEASE_TTL_S * 1000 - 500, `deleted early: ${Math.round(nowMs - renewedMs)} ms after renewal`);
      break;
    }
    assert.ok(nowMs <= killedMs + LEASE_TTL_S * 1000 + ELECTION_TIMEOUT_MS + electionAllowanceMs,
      `still present ${Math.round(nowMs - killedMs)} ms after the leader was killed`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.ok(grantStartMs < killedMs);
  const expired = await runEtcdctl(follower.endpoint, ['lease', 'timetolive', id]);
  assert.equal(expired.stdout, `lease ${id.padStart(16, '0')} already expired\n`, expired.stderr);
});
