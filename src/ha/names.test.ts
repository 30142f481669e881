import { test } from 'node:test';
import assert from 'node:assert/strict';
import { namesBeyondRetention, parseSnapshotName, snapshotFileName } from './names.js';
import { defaultSnapshotDir, parseGoDurationMs, s3KeyPrefix } from './options.js';

test('K3s file names', () => {
  assert.equal(snapshotFileName('etcd-snapshot', 'node-1', 1700000000, false), 'etcd-snapshot-node-1-1700000000');
  assert.equal(snapshotFileName('on-demand', 'n', 5, true), 'on-demand-n-5.zip');
  assert.throws(() => snapshotFileName('', 'n', 5, false));
  assert.throws(() => snapshotFileName('a', 'n', -1, false));
  assert.deepEqual(parseSnapshotName('on-demand-n-5.zip', 'on-demand', 'n'),
    { fileName: 'on-demand-n-5.zip', unixSeconds: 5, compressed: true });
  assert.equal(parseSnapshotName('on-demand-n-5.zip', 'on-demand', 'm'), undefined);
  assert.equal(parseSnapshotName('on-demand-n-x', 'on-demand', 'n'), undefined);
  // A dot in the node name is literal, not a regexp wildcard.
  assert.equal(parseSnapshotName('a-nXb-5', 'a', 'n.b'), undefined);
});

test('retention keeps the newest N of one name and node, oldest removed first', () => {
  const files = [
    'etcd-snapshot-n1-300', 'etcd-snapshot-n1-100.zip', 'etcd-snapshot-n1-200', 'etcd-snapshot-n2-50',
    'on-demand-n1-10', 'unrelated.db', 'etcd-snapshot-n1-400',
  ];
  assert.deepEqual(namesBeyondRetention(files, 'etcd-snapshot', 'n1', 2),
    ['etcd-snapshot-n1-100.zip', 'etcd-snapshot-n1-200']);
  assert.deepEqual(namesBeyondRetention(files, 'etcd-snapshot', 'n1', 4), []);
  assert.deepEqual(namesBeyondRetention(files, 'etcd-snapshot', 'n1', 0), []);
  assert.deepEqual(namesBeyondRetention(files, 'on-demand', 'n1', 1), []);
  assert.deepEqual(namesBeyondRetention(files, 'etcd-snapshot', 'n2', 1), []);
});

test('options helpers', () => {
  assert.equal(defaultSnapshotDir('/var/lib/tetcd'), '/var/lib/tetcd/server/db/snapshots');
  assert.equal(parseGoDurationMs('5m'), 300_000);
  assert.equal(parseGoDurationMs('1h30m'), 5_400_000);
  assert.equal(parseGoDurationMs('1500ms'), 1_500);
  assert.equal(parseGoDurationMs('2.5s'), 2_500);
  assert.equal(parseGoDurationMs('30'), 30_000);
  assert.throws(() => parseGoDurationMs('5x'), RangeError);
  assert.throws(() => parseGoDurationMs('m5'), RangeError);
  assert.equal(s3KeyPrefix(''), '');
  assert.equal(s3KeyPrefix('/a/b/'), 'a/b/');
});
