/**
 * Failover: SIGKILL the leader of a 3-member cluster under a continuous write load (4 writers, unique
 * keys, a write counts only once acknowledged). A new leader must be reported within 3 x election
 * timeout of the kill, writes must resume, and after the old leader restarts every acknowledged write
 * is readable on every member and hashkv agrees. E2E_SUBJECT=etcd runs it against real etcd.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Cluster, ELECTION_MS_DEFAULT, withClusterLogs } from '../helpers/cluster.js';
import { subjectKind } from '../helpers/oracle.js';
import { assertClusterHashesEqual } from './checks.js';
import { waitForNewLeader } from './probe.js';
import { WriteLoad, waitForEqualHashes, waitForKeys } from './load.js';

const WRITERS = 4;
const PREFIX = 'failover/';
/** The new leader must be known this soon after the kill. */
const NEW_LEADER_LIMIT_MS = 3 * ELECTION_MS_DEFAULT;
const CONVERGE_TIMEOUT_MS = 60_000;

let cluster: Cluster | undefined;
let load: WriteLoad | undefined;
after(async () => {
  await load?.stop();
  await cluster?.cleanup();
});

test('kill -9 the leader under write load: fast re-election, nothing acknowledged lost', { timeout: 200_000 },
  async () => {
    const c = await Cluster.start({ kind: subjectKind() });
    cluster = c;
    await withClusterLogs([c], async () => {
      await c.refreshIds();
      const w = new WriteLoad(PREFIX, WRITERS, () => c.running());
      load = w;
      w.start();
      await w.waitForMoreAcks(200, 30_000);
      const oldLeader = await c.leader();
      const survivors = c.members.filter((m) => m !== oldLeader);
      assert.ok(oldLeader.id !== undefined, 'leader id known');
      const killedAtMs = Date.now();
      await oldLeader.kill();
      const report = await waitForNewLeader(survivors, oldLeader.id, killedAtMs, 30_000);
      const electionMs = report.elapsedMs;
      const newLeader = await c.waitForLeader(30_000, () => survivors);
      console.log(`${c.kind}: leader ${oldLeader.name} killed; ${report.reporter.name} reported leader ` +
        `${report.leaderId.toString(16)} after ${electionMs} ms`);

      await w.waitForMoreAcks(200, 30_000);
      await oldLeader.restart();
      await w.waitForMoreAcks(100, 30_000);
      await w.stop();
      console.log(`${c.kind}: ${w.acked.size} writes acknowledged; errors seen: ${[...w.errors].join(' | ')}`);
      for (const member of c.members) await waitForKeys(member, PREFIX, w.acked, CONVERGE_TIMEOUT_MS);
      await waitForEqualHashes(c, CONVERGE_TIMEOUT_MS);
      assert.ok(electionMs <= NEW_LEADER_LIMIT_MS,
        `new leader reported after ${electionMs} ms, limit ${NEW_LEADER_LIMIT_MS} ms (3 x election timeout)`);
      await assertClusterHashesEqual(c, newLeader, 3);
    });
  });
