/**
 * HAProxy (Debian package) with the K3s HA guide's TCP health-check config in front of a 3-member tetcd
 * cluster: clients that only know HAProxy keep writing and reading while the members are killed one at a
 * time (each restarted before the next kill). Two long-lived gRPC writers go through HAProxy the whole
 * time; after each kill, once HAProxy's checks mark the member DOWN, `tetcdctl put` + `get` through
 * HAProxy must work and the writers must make progress; at the end `tetcdctl get --prefix` through HAProxy
 * returns every acknowledged write. Fails (never skips) when /usr/sbin/haproxy is missing.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, test } from 'node:test';
import { Cluster, waitFor, withClusterLogs, type ClusterMember } from '../helpers/cluster.js';
import { REPO_ROOT } from '../helpers/binaries.js';
import { Haproxy, requireHaproxy } from '../helpers/haproxy.js';
import { WriteLoad, waitForEqualHashes } from './load.js';

const PREFIX = 'haproxy/';
const WRITERS = 2;
/** Writes the load must acknowledge through HAProxy in each phase. */
const ACKS_PER_PHASE = 20;
const PHASE_TIMEOUT_MS = 20_000;
/** HAProxy sees a killed / restarted member within fall 3 (rise 2) checks; allow a loaded machine. */
const CHECK_STATE_TIMEOUT_MS = 10_000;
const TETCDCTL_TIMEOUT_MS = 15_000;
const TETCDCTL_BIN = process.env['TETCDCTL_BIN'] ?? `${REPO_ROOT}bin/tetcdctl`;

let cluster: Cluster | undefined;
let proxy: Haproxy | undefined;
let load: WriteLoad | undefined;
after(async () => {
  await load?.stop();
  await proxy?.stop();
  await cluster?.cleanup();
});

interface CtlResult { code: number; stdout: string; stderr: string }

/** `tetcdctl --endpoints=<haproxy> ...args` (inherited ETCDCTL_* variables dropped). */
function tetcdctl(endpoint: string, args: readonly string[]): Promise<CtlResult> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('ETCDCTL')));
  return new Promise((resolve) => {
    execFile(process.execPath, [TETCDCTL_BIN, `--endpoints=${endpoint}`, '--command-timeout=3s', ...args],
      { env, timeout: TETCDCTL_TIMEOUT_MS }, (error, stdout, stderr) => {
        resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr });
      });
  });
}

/** Put then get one key through HAProxy, retried until both work (bounded). */
async function probeThroughProxy(endpoint: string, key: string): Promise<void> {
  let last = '';
  await waitFor(`tetcdctl put+get ${key} through haproxy`, PHASE_TIMEOUT_MS, async () => {
    const put = await tetcdctl(endpoint, ['put', key, 'ok']);
    last = put.stderr;
    if (put.code !== 0) return undefined;
    const get = await tetcdctl(endpoint, ['get', key, '--print-value-only']);
    last = get.stderr;
    return get.code === 0 && get.stdout.trim() === 'ok' ? true : undefined;
  }).catch((error: Error) => { throw new Error(`${error.message}; last tetcdctl error: ${last}`); });
}

/** Every key → value under PREFIX, read through HAProxy with tetcdctl. */
async function readAll(endpoint: string): Promise<Map<string, string>> {
  const res = await tetcdctl(endpoint, ['get', PREFIX, '--prefix']);
  assert.equal(res.code, 0, `tetcdctl get --prefix: ${res.stderr}`);
  const lines = res.stdout.split('\n');
  const out = new Map<string, string>();
  for (let i = 0; i + 1 < lines.length; i += 2) out.set(lines[i]!, lines[i + 1]!);
  return out;
}

test('tetcdctl through HAProxy keeps working while members are killed one at a time', { timeout: 180_000 },
  async () => {
    requireHaproxy();
    const c = await Cluster.start({ kind: 'tetcd' });
    cluster = c;
    await withClusterLogs([c], async () => {
      const p = await Haproxy.start(c.members.map((m) => ({ name: m.name, port: m.spec.clientPort })));
      proxy = p;
      // The writers' only target is HAProxy's frontend.
      const viaProxy = { name: 'haproxy', endpoint: p.endpoint } as ClusterMember;
      const w = new WriteLoad(PREFIX, WRITERS, () => [viaProxy]);
      load = w;
      w.start();
      await w.waitForMoreAcks(ACKS_PER_PHASE, PHASE_TIMEOUT_MS);
      for (const member of c.members) {
        await member.kill();
        await p.waitForServer(member.name, 'DOWN', CHECK_STATE_TIMEOUT_MS);
        await probeThroughProxy(p.endpoint, `probe/${member.name}`);
        await w.waitForMoreAcks(ACKS_PER_PHASE, PHASE_TIMEOUT_MS);
        await member.restart();
        await p.waitForServer(member.name, 'UP', CHECK_STATE_TIMEOUT_MS);
      }
      await w.waitForMoreAcks(ACKS_PER_PHASE, PHASE_TIMEOUT_MS);
      await w.stop();
      const stored = await readAll(p.endpoint);
      const lost = [...w.acked].filter(([key, value]) => stored.get(key) !== value).map(([key]) => key);
      assert.deepEqual(lost, [], `acknowledged writes missing through haproxy (of ${w.acked.size})`);
      console.log(`haproxy: ${w.acked.size} acknowledged writes, errors seen: ${[...w.errors].join(' | ')}`);
      await waitForEqualHashes(c, PHASE_TIMEOUT_MS);
    });
  });
