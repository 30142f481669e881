/**
 * Replace a member under load: while 4 writers keep writing, a follower is removed (`member remove`)
 * and a new member with an empty data dir is added (`member add`, started with existing state). The
 * new member catches up, writes never stall for more than a few seconds, nothing acknowledged is lost.
 * The removed member's process exits, and restarted on its old data dir it is refused: it exits or
 * never becomes ready, and the membership stays unchanged.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Cluster, POLL_INTERVAL_MS, delay, withClusterLogs, type ClusterMember } from '../helpers/cluster.js';
import { READY_LINE } from '../helpers/server.js';
import { subjectKind } from '../helpers/oracle.js';
import { assertClusterHashesEqual, memberNames } from './checks.js';
import { WriteLoad, waitForEqualHashes, waitForKeys } from './load.js';

const WRITERS = 4;
const PREFIX = 'replace/';
/** Longest allowed time with no acknowledged write while the membership changes. */
const WRITE_GAP_MAX_MS = 5_000;
const REMOVED_EXIT_TIMEOUT_MS = 30_000;
/** How long the restarted removed member is watched (it must not come back). */
const REJOIN_WATCH_MS = 10_000;
const CONVERGE_TIMEOUT_MS = 60_000;

let cluster: Cluster | undefined;
let load: WriteLoad | undefined;
after(async () => {
  await load?.stop();
  await cluster?.cleanup();
});

/**
 * Restarts the removed member on its old data dir and watches it for REJOIN_WATCH_MS.
 * @returns how it was refused: 'exited' or 'never ready'; 'ready' if it came back.
 */
async function restartRemoved(removed: ClusterMember): Promise<'exited' | 'never ready' | 'ready'> {
  removed.spawnProcess();
  const deadline = Date.now() + REJOIN_WATCH_MS;
  while (Date.now() < deadline) {
    if (removed.pid === undefined) return 'exited';
    if (removed.logSinceStart().includes(READY_LINE)) return 'ready';
    await delay(POLL_INTERVAL_MS);
  }
  return 'never ready';
}

test('replace a follower while writes continue', { timeout: 240_000 }, async () => {
  const c = await Cluster.start({ kind: subjectKind() });
  cluster = c;
  await withClusterLogs([c], async () => {
    await c.refreshIds();
    const excluded = new Set<ClusterMember>();
    const w = new WriteLoad(PREFIX, WRITERS, () => c.running().filter((m) => !excluded.has(m)));
    load = w;
    w.start();
    await w.waitForMoreAcks(100, 30_000);
    w.resetGap();
    const before = await memberNames(c.members[0]!);

    const removed = (await c.followers())[0]!;
    excluded.add(removed);
    await c.removeMember(removed);
    await removed.waitExit(REMOVED_EXIT_TIMEOUT_MS);
    const { member: added } = await c.addMember();
    await w.waitForMoreAcks(200, 30_000);
    const gapMs = w.longestGapMs;
    await w.stop();
    console.log(`${c.kind}: removed ${removed.name}, added ${added.name}; ${w.acked.size} writes acknowledged, ` +
      `longest write gap ${gapMs} ms; errors: ${[...w.errors].join(' | ')}`);

    const current = c.members.filter((m) => m !== removed);
    for (const member of current) await waitForKeys(member, PREFIX, w.acked, CONVERGE_TIMEOUT_MS);
    await waitForEqualHashes(c, CONVERGE_TIMEOUT_MS);
    const after = await memberNames(added);
    assert.deepEqual(after, [...before.filter((name) => name !== removed.name), added.name].sort());
    assert.ok(gapMs <= WRITE_GAP_MAX_MS, `writes stalled for ${gapMs} ms (limit ${WRITE_GAP_MAX_MS} ms)`);
    assert.match(removed.log(), /the member has been permanently removed from the cluster/);

    const outcome = await restartRemoved(removed);
    console.log(`${c.kind}: removed member restarted on its old data dir: ${outcome}`);
    assert.notEqual(outcome, 'ready', `removed member ${removed.name} came back:\n${removed.logTail()}`);
    await removed.kill();
    assert.deepEqual(await memberNames(added), after, 'membership changed after the removed member restarted');
    await assertClusterHashesEqual(c, added, 3);
  });
});
