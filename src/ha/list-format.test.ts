import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatJson, formatTable, formatYaml, rfc3339, tabulate } from './list-format.js';
import type { SnapshotInfo } from './local-store.js';

const SNAPSHOTS: SnapshotInfo[] = [
  {
    name: 'on-demand-n1-1700000000', location: 'file:///var/lib/tetcd/server/db/snapshots/on-demand-n1-1700000000',
    sizeBytes: 20512, createdAt: new Date(Date.UTC(2023, 10, 14, 22, 13, 20, 500)), nodeName: 'n1', compressed: false,
    storage: 'local',
  },
  {
    name: 'on-demand-n1-1700000000', location: 's3://bkt/folder/on-demand-n1-1700000000', sizeBytes: 20512,
    createdAt: new Date(Date.UTC(2023, 10, 14, 22, 13, 21)), nodeName: 's3', compressed: false, storage: 's3',
  },
];

test('table: K3s header, tabwriter padding of one space, RFC 3339 times', () => {
  assert.equal(formatTable(SNAPSHOTS), [
    'Name                    Location                                                          Size  Created',
    'on-demand-n1-1700000000 file:///var/lib/tetcd/server/db/snapshots/on-demand-n1-1700000000 20512 2023-11-14T22:13:20Z',
    'on-demand-n1-1700000000 s3://bkt/folder/on-demand-n1-1700000000                           20512 2023-11-14T22:13:21Z',
    '',
  ].join('\n'));
  assert.equal(formatTable([]), 'Name Location Size Created\n');
  assert.equal(tabulate([['a', 'bb'], ['ccc', 'd']]), 'a   bb\nccc d\n');
  assert.equal(rfc3339(new Date(0)), '1970-01-01T00:00:00Z');
});

test('json: map keyed local-/s3-, one line', () => {
  const text = formatJson(SNAPSHOTS);
  assert.ok(text.endsWith('}\n') && !text.slice(0, -1).includes('\n'));
  assert.deepEqual(JSON.parse(text), {
    'local-on-demand-n1-1700000000': {
      name: 'on-demand-n1-1700000000', location: SNAPSHOTS[0]!.location, nodeName: 'n1',
      createdAt: '2023-11-14T22:13:20Z', size: 20512, status: 'successful', compressed: false,
    },
    's3-on-demand-n1-1700000000': {
      name: 'on-demand-n1-1700000000', location: SNAPSHOTS[1]!.location, nodeName: 's3',
      createdAt: '2023-11-14T22:13:21Z', size: 20512, status: 'successful', compressed: false,
    },
  });
  assert.equal(formatJson([]), '{}\n');
});

test('yaml: same records, timestamps quoted', () => {
  assert.equal(formatYaml(SNAPSHOTS.slice(1)), [
    's3-on-demand-n1-1700000000:',
    '  name: on-demand-n1-1700000000',
    '  location: s3://bkt/folder/on-demand-n1-1700000000',
    '  nodeName: s3',
    '  createdAt: "2023-11-14T22:13:21Z"',
    '  size: 20512',
    '  status: successful',
    '  compressed: false',
    '',
  ].join('\n'));
  assert.equal(formatYaml([]), '{}\n');
});
