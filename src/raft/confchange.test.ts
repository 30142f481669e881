import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ConfChangeError, enterJoint, leaveJoint, restoreFromConfState, simple, type ChangerInput,
} from './confchange.js';
import { configToConfState } from './tracker.js';
import { ConfChangeType, type ConfChangeSingle, type ConfState } from './types.js';

const v = (id: bigint): ConfChangeSingle => ({ type: ConfChangeType.AddNode, nodeId: id });
const l = (id: bigint): ConfChangeSingle => ({ type: ConfChangeType.AddLearnerNode, nodeId: id });
const r = (id: bigint): ConfChangeSingle => ({ type: ConfChangeType.RemoveNode, nodeId: id });

function input(cs: Partial<ConfState>): ChangerInput {
  const full: ConfState = { voters: [], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false, ...cs };
  const restored = restoreFromConfState(full, 10, 4);
  return { config: restored.config, progress: restored.progress, lastIndex: 10, maxInflight: 4 };
}

test('simple changes allow one voter delta', () => {
  const result = simple(input({ voters: [1n, 2n, 3n] }), [v(4n)]);
  assert.deepEqual(configToConfState(result.config).voters, [1n, 2n, 3n, 4n]);
  assert.throws(() => simple(input({ voters: [1n, 2n, 3n] }), [v(4n), v(5n)]), ConfChangeError);
  assert.throws(() => simple(input({ voters: [1n] }), [r(1n)]), ConfChangeError);
  // Learner changes do not count as voter deltas.
  const learners = simple(input({ voters: [1n, 2n] }), [l(3n), l(4n), v(5n)]);
  assert.deepEqual(configToConfState(learners.config).learners, [3n, 4n]);
  assert.ok(learners.progress.get(3n)!.isLearner);
});

test('joint consensus: enter, demote voter to learnersNext, leave', () => {
  const joint = enterJoint(input({ voters: [1n, 2n, 3n] }), true, [v(4n), l(3n), r(1n)]);
  const cs = configToConfState(joint.config);
  assert.deepEqual(cs.voters, [2n, 4n]);
  assert.deepEqual(cs.votersOutgoing, [1n, 2n, 3n]);
  assert.deepEqual(cs.learnersNext, [3n]);
  assert.ok(cs.autoLeave);
  const jointInput = { ...input({}), config: joint.config, progress: joint.progress };
  assert.throws(() => simple(jointInput, [v(5n)]), ConfChangeError);
  const left = leaveJoint({ config: joint.config, progress: joint.progress, lastIndex: 10, maxInflight: 4 });
  const after = configToConfState(left.config);
  assert.deepEqual(after.voters, [2n, 4n]);
  assert.deepEqual(after.votersOutgoing, []);
  assert.deepEqual(after.learners, [3n]);
  assert.ok(!left.progress.has(1n));
  assert.ok(left.progress.get(3n)!.isLearner);
  assert.throws(() => leaveJoint({ config: left.config, progress: left.progress, lastIndex: 10, maxInflight: 4 }),
    ConfChangeError);
});

test('restoring a joint ConfState round-trips', () => {
  const cs: ConfState = {
    voters: [2n, 4n], votersOutgoing: [1n, 2n, 3n], learners: [5n], learnersNext: [3n], autoLeave: true,
  };
  assert.deepEqual(configToConfState(restoreFromConfState(cs, 5, 2).config), cs);
});
