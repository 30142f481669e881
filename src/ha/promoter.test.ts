import assert from 'node:assert/strict';
import { test } from 'node:test';
import { silentLogger } from '../platform/logger.js';
import { startLearnerPromoter, type PromoterTarget } from './promoter.js';

class FakeTarget implements PromoterTarget {
  leader = true;
  members = new Map<bigint, { name: string; isLearner: boolean; ready: boolean }>();
  attempts: bigint[] = [];
  removed: bigint[] = [];
  clockMs = 0;
  isLeader(): boolean { return this.leader; }
  nowMs(): number { return this.clockMs; }
  remove(id: bigint): Promise<void> {
    this.removed.push(id);
    this.members.delete(id);
    return Promise.resolve();
  }
  learners(): Array<{ id: bigint; name: string }> {
    return [...this.members].filter(([, m]) => m.isLearner).map(([id, m]) => ({ id, name: m.name }));
  }
  promote(id: bigint): Promise<void> {
    this.attempts.push(id);
    const member = this.members.get(id)!;
    if (!member.ready) {
      return Promise.reject(Object.assign(new Error('etcdserver: can only promote a learner member which is in sync with leader'),
        { code: 'ERR_LEARNER_NOT_READY' }));
    }
    member.isLearner = false;
    return Promise.resolve();
  }
}

test('promotes ready learners on the leader, retries unready ones next round', async () => {
  const target = new FakeTarget();
  target.members.set(1n, { name: 'voter', isLearner: false, ready: true });
  target.members.set(2n, { name: 'ready', isLearner: true, ready: true });
  target.members.set(3n, { name: 'slow', isLearner: true, ready: false });
  const promoter = startLearnerPromoter(target, 60_000, silentLogger());
  try {
    assert.deepEqual(await promoter.runOnce(), [2n]);
    assert.deepEqual(target.attempts, [2n, 3n]);
    target.members.get(3n)!.ready = true;
    assert.deepEqual(await promoter.runOnce(), [3n]);
    assert.deepEqual(await promoter.runOnce(), []);
  } finally {
    await promoter.stop();
  }
});

test('does nothing on a follower', async () => {
  const target = new FakeTarget();
  target.leader = false;
  target.members.set(2n, { name: 'l', isLearner: true, ready: true });
  const promoter = startLearnerPromoter(target, 60_000, silentLogger());
  assert.deepEqual(await promoter.runOnce(), []);
  assert.deepEqual(target.attempts, []);
  await promoter.stop();
});

test('the timer runs rounds by itself', async (t) => {
  // Fake timers: the promoter's interval is unref'd, so a real one would let the process exit mid-test.
  t.mock.timers.enable({ apis: ['setInterval'] });
  const target = new FakeTarget();
  target.members.set(2n, { name: 'l', isLearner: true, ready: true });
  let promoted!: () => void;
  const done = new Promise<void>((resolve) => { promoted = resolve; });
  const original = target.promote.bind(target);
  target.promote = async (id) => { await original(id); promoted(); };
  const promoter = startLearnerPromoter(target, 10, silentLogger());
  assert.deepEqual(target.attempts, [], 'no round before the first interval');
  t.mock.timers.tick(10);
  await done;
  await promoter.stop();
  assert.equal(target.members.get(2n)!.isLearner, false);
  t.mock.timers.tick(100);
  assert.deepEqual(target.attempts, [2n], 'no round after stop');
});

test('a non-positive interval is refused', () => {
  assert.throws(() => startLearnerPromoter(new FakeTarget(), 0, silentLogger()), RangeError);
});

test('removes a learner that stays unpromotable for the stall timeout, as K3s does', async () => {
  const target = new FakeTarget();
  target.members.set(1n, { name: 'voter', isLearner: false, ready: true });
  target.members.set(2n, { name: 'dead', isLearner: true, ready: false });
  const promoter = startLearnerPromoter(target, 60_000, silentLogger(), 300_000);
  try {
    await promoter.runOnce();
    target.clockMs = 299_999;
    await promoter.runOnce();
    assert.deepEqual(target.removed, [], 'not before the timeout');
    target.leader = false;
    await promoter.runOnce();
    target.leader = true;
    target.clockMs = 310_000;
    await promoter.runOnce();
    assert.deepEqual(target.removed, [], 'a leadership change restarts the clock');
    target.clockMs = 610_000;
    await promoter.runOnce();
    assert.deepEqual(target.removed, [2n]);
    assert.ok(target.members.has(1n), 'voters are never touched');
  } finally {
    await promoter.stop();
  }
});
