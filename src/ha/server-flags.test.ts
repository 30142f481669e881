import { test } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '../platform/logger.js';
import { K3S_SNAPSHOT_SERVER_FLAGS, schedulerOptionsFromFlags, startServerSnapshots } from './server-flags.js';

const CONTEXT = { dataDir: '/data', nodeName: 'm1', endpoint: 'http://127.0.0.1:2379' };

test('defaults are K3s defaults', () => {
  const options = schedulerOptionsFromFlags(new Map(), CONTEXT);
  assert.deepEqual(options, {
    endpoint: 'http://127.0.0.1:2379', dir: '/data/server/db/snapshots', name: 'etcd-snapshot', nodeName: 'm1',
    compress: false, retention: 5, cron: '0 */12 * * *', disabled: false,
  });
  assert.equal(new Set(K3S_SNAPSHOT_SERVER_FLAGS.map((f) => f.name)).size, K3S_SNAPSHOT_SERVER_FLAGS.length);
});

test('every flag reaches the options', () => {
  const options = schedulerOptionsFromFlags(new Map([
    ['etcd-snapshot-schedule-cron', '0 */6 * * *'], ['etcd-snapshot-retention', '10'], ['etcd-snapshot-dir', '/s'],
    ['etcd-snapshot-name', 'nightly'], ['etcd-snapshot-compress', 'true'], ['etcd-disable-snapshots', 'true'],
    ['etcd-s3', 'true'], ['etcd-s3-endpoint', 'minio:9000'], ['etcd-s3-endpoint-ca', '/ca.pem'],
    ['etcd-s3-skip-ssl-verify', 'true'], ['etcd-s3-access-key', 'ak'], ['etcd-s3-secret-key', 'sk'],
    ['etcd-s3-bucket', 'b'], ['etcd-s3-region', 'eu-west-1'], ['etcd-s3-folder', 'edge-site-01'],
    ['etcd-s3-insecure', 'true'], ['etcd-s3-timeout', '30s'],
  ]), CONTEXT);
  assert.equal(options.cron, '0 */6 * * *');
  assert.equal(options.retention, 10);
  assert.equal(options.dir, '/s');
  assert.equal(options.name, 'nightly');
  assert.equal(options.compress, true);
  assert.equal(options.disabled, true);
  assert.deepEqual(options.s3, {
    endpoint: 'minio:9000', endpointCaPath: '/ca.pem', accessKey: 'ak', secretKey: 'sk', skipSslVerify: true,
    bucket: 'b', region: 'eu-west-1', folder: 'edge-site-01', insecure: true, timeoutMs: 30_000,
  });
  assert.equal(schedulerOptionsFromFlags(new Map([['etcd-s3', 'true'], ['etcd-s3-bucket', 'b']]), CONTEXT).s3?.timeoutMs,
    300_000);
});

test('bad values are refused', () => {
  assert.throws(() => schedulerOptionsFromFlags(new Map([['etcd-s3', 'true']]), CONTEXT),
    { message: 's3 bucket name was not set' });
  assert.throws(() => schedulerOptionsFromFlags(new Map([['etcd-snapshot-retention', '-1']]), CONTEXT), RangeError);
});

test('startServerSnapshots validates the cron pattern and honours --etcd-disable-snapshots', async () => {
  const logger = silentLogger();
  assert.throws(() => startServerSnapshots(new Map([['etcd-snapshot-schedule-cron', 'nope']]), CONTEXT, logger),
    RangeError);
  await startServerSnapshots(new Map([['etcd-disable-snapshots', 'true']]), CONTEXT, logger).stop();
  // A valid schedule that never fires during the test (yearly) starts and stops cleanly.
  await startServerSnapshots(new Map([['etcd-snapshot-schedule-cron', '0 0 1 1 *']]), CONTEXT, logger).stop();
});
