import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ClusterResetFlagError, clusterResetRequest } from './cluster-reset-flags.js';

const flags = (entries: Record<string, string>): Map<string, string> => new Map(Object.entries(entries));

test('no reset flags (or no flag values at all) ask for nothing', () => {
  assert.deepEqual(clusterResetRequest(undefined), { kind: 'none' });
  assert.deepEqual(clusterResetRequest(flags({ 'cluster-reset': 'false', 'cluster-reset-restore-path': '' })),
    { kind: 'none' });
});

test('--cluster-reset alone keeps the data; with a restore path it restores (from S3 with --etcd-s3)', () => {
  assert.deepEqual(clusterResetRequest(flags({ 'cluster-reset': 'true' })), { kind: 'reset' });
  assert.deepEqual(clusterResetRequest(flags({ 'cluster-reset': 'true', 'cluster-reset-restore-path': '/s/x' })),
    { kind: 'restore', restorePath: '/s/x', fromS3: false });
  assert.deepEqual(clusterResetRequest(flags({ 'cluster-reset': 'true', 'cluster-reset-restore-path': 'x.zip',
    'etcd-s3': 'true' })), { kind: 'restore', restorePath: 'x.zip', fromS3: true });
});

test('a restore path without --cluster-reset is refused with K3s\'s message', () => {
  assert.throws(() => clusterResetRequest(flags({ 'cluster-reset-restore-path': '/s/x' })),
    (error: unknown) => error instanceof ClusterResetFlagError &&
      /--cluster-reset required with --cluster-reset-restore-path/.test(error.message));
});
