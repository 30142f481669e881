import assert from 'node:assert/strict';
import { test } from 'node:test';
import { etcdError } from '../base/errors.js';
import { createLogger } from '../platform/logger.js';
import {
  checkInitialHashes, checkPeerHashes, DataInconsistencyError, type CorruptionCheckHost, type PeerHash,
} from './corruption-checker.js';

const logger = createLogger('fatal');

interface Local { hash: number; revision: number; compactRevision: number }

/** A host whose local hash and peers' answers are fixed tables. */
function host(local: Local | Local[], peers: Map<bigint, PeerHash | Error>, leader = true): CorruptionCheckHost & {
  alarms: bigint[];
} {
  const locals = Array.isArray(local) ? [...local] : [local];
  const alarms: bigint[] = [];
  return {
    memberId: 1n, alarms, isLeader: () => leader, peerIds: () => [...peers.keys()],
    localHash: () => {
      const l = locals.length > 1 ? locals.shift()! : locals[0]!;
      return { ...l, hashRevision: l.revision };
    },
    peerHash: (id) => {
      const answer = peers.get(id)!;
      return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
    },
    raiseCorrupt: (id) => {
      alarms.push(id);
      return Promise.resolve();
    },
  };
}

const peer = (memberId: bigint, hash: number, revision = 10, compactRevision = 0): PeerHash =>
  ({ memberId, hash, revision, compactRevision });

test('initial check passes on equal hashes and skips peers that cannot be compared', async () => {
  const h = host({ hash: 7, revision: 10, compactRevision: 2 }, new Map<bigint, PeerHash | Error>([
    [2n, peer(2n, 7, 10, 2)], [3n, peer(3n, 99, 10, 5)], [4n, new Error('connection refused')],
    [5n, etcdError('ERR_FUTURE_REV')],
  ]));
  await checkInitialHashes(h, logger);
});

test('initial check refuses to start on a differing hash at the same compact revision', async () => {
  const h = host({ hash: 7, revision: 10, compactRevision: 2 },
    new Map([[2n, peer(2n, 7, 10, 2)], [3n, peer(3n, 8, 10, 2)]]));
  await assert.rejects(checkInitialHashes(h, logger), (e) => e instanceof DataInconsistencyError &&
    e.message === '1 found data inconsistency with peers');
});

test('periodic check raises CORRUPT for a follower with another hash, ahead, or compacted past the leader', async () => {
  const local = { hash: 7, revision: 10, compactRevision: 2 };
  for (const [bad, label] of [[peer(3n, 8, 10, 2), 'hash'], [peer(3n, 7, 11, 2), 'ahead'], [peer(3n, 7, 10, 4), 'compact']] as const) {
    const h = host(local, new Map([[2n, peer(2n, 7, 10, 2)], [3n, bad]]));
    assert.deepEqual(await checkPeerHashes(h, logger), [3n], label);
    assert.deepEqual(h.alarms, [3n], label);
  }
});

test('periodic check: healthy, lagging or compacted-behind followers raise nothing; followers do not check', async () => {
  const local = { hash: 7, revision: 10, compactRevision: 2 };
  const peers = new Map<bigint, PeerHash | Error>([[2n, peer(2n, 7, 10, 2)], [3n, peer(3n, 5, 10, 1)],
    [4n, etcdError('ERR_FUTURE_REV')], [5n, etcdError('ERR_COMPACTED')]]);
  const h = host(local, peers);
  assert.deepEqual(await checkPeerHashes(h, logger), []);
  assert.deepEqual(h.alarms, []);
  const follower = host(local, new Map([[3n, peer(3n, 8, 10, 2)]]), false);
  assert.deepEqual(await checkPeerHashes(follower, logger), []);
});

test('periodic check: the leader\'s own hash changing at the same revision marks the leader', async () => {
  const h = host([{ hash: 7, revision: 10, compactRevision: 2 }, { hash: 9, revision: 10, compactRevision: 2 }],
    new Map([[2n, peer(2n, 7, 10, 2)]]));
  assert.deepEqual(await checkPeerHashes(h, logger), [1n]);
  assert.deepEqual(h.alarms, [1n], 'one alarm per round');
});
