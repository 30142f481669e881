/**
 * One process per data dir: a second member on a running member's data dir, and tetcdutl on it, are
 * refused with a clear error and change nothing; after kill -9 the stale lock does not block a restart.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { TETCD_BIN } from '../helpers/binaries.js';
import { allocatePort } from '../helpers/ports.js';
import { ServerProcess } from '../helpers/server.js';

function tetcd(args: string[]): { status: number | null; output: string } {
  const result = spawnSync(process.execPath, [TETCD_BIN, ...args], { encoding: 'utf8', timeout: 30_000 });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

test('a second member and tetcdutl are refused on a running member\'s data dir; kill -9 leaves no block', async () => {
  const server = await ServerProcess.start({ kind: 'tetcd' });
  try {
    const pid = server.pid!;
    const client = `http://127.0.0.1:${await allocatePort()}`;
    const peer = `http://127.0.0.1:${await allocatePort()}`;
    const second = tetcd(['server', '--name', 'tetcd', '--data-dir', server.dataDir, '--listen-client-urls', client,
      '--advertise-client-urls', client, '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer,
      '--initial-cluster', `tetcd=${peer}`]);
    assert.equal(second.status, 1, second.output);
    assert.match(second.output, new RegExp(`data dir ${server.dataDir} is in use by another process \\(pid ${pid}\\)`));
    for (const command of [['verify'], ['defrag'], ['hashkv'], ['db', 'dump']]) {
      const utl = tetcd(['utl', ...command, '--data-dir', server.dataDir]);
      assert.equal(utl.status, 1, `${command.join(' ')}: ${utl.output}`);
      assert.match(utl.output, new RegExp(`in use by a running member \\(pid ${pid}\\): stop it first`));
    }
    assert.ok(server.pid === pid, 'the running member is untouched');
    await server.kill(); // SIGKILL: the lock file stays behind, naming a dead process
    await server.restart();
    // A served request means start-up has finished and the SIGTERM handler is installed (a signal in the
    // instant between the ready line and that handler ends the process at once, leaving a stale lock).
    const health = tetcd(['ctl', '--endpoints', server.endpoint, 'endpoint', 'health']);
    assert.equal(health.status, 0, health.output);
    await server.stop();
    assert.equal(existsSync(join(server.dataDir, 'member', 'tetcd.lock')), false, 'a clean stop removes the lock');
    const verify = tetcd(['utl', 'verify', '--data-dir', server.dataDir]);
    assert.equal(verify.status, 0, verify.output);
  } finally {
    await server.cleanup();
  }
});
