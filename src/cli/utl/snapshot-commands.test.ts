import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { writeBbolt } from '../../snapshot/bbolt/writer.js';
import { appendHash } from '../../snapshot/snapshot-file.js';
import { runUtl } from './main.js';

const dir = mkdtempSync(join(tmpdir(), 'tetcdutl-snapshot-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

async function utl(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runUtl(args, { stdout: (t) => { out += t; }, stderr: (t) => { err += t; } });
  return { code, out, err };
}

test('snapshot status formats, exit codes and usage errors as etcdctl', async () => {
  const key = new Uint8Array(17);
  key[7] = 9;
  key[8] = 0x5f;
  const file = join(dir, 's.db');
  writeFileSync(file, appendHash(writeBbolt([{ name: enc('key'), entries: [[key, enc('v')]] },
    { name: enc('meta'), entries: [] }])));
  const simple = await utl(['snapshot', 'status', file]);
  assert.equal(simple.code, 0);
  assert.match(simple.out, /^[0-9a-f]+, 9, 1, 16 kB\n$/);
  assert.match((await utl(['snapshot', 'status', file, '-w', 'json'])).out, /^\{"hash":\d+,"revision":9,"totalKey":1,"totalSize":16384\}\n$/);
  assert.match((await utl(['snapshot', 'status', file, '-w', 'fields'])).out, /"Revision" : 9\n"Keys" : 1\n"Size" : 16384\n$/);
  assert.deepEqual(await utl(['snapshot', 'status', file, '-w', 'protobuf']),
    { code: 4, out: '', err: 'Error: protobuf not supported as output format\n' });
  assert.deepEqual(await utl(['snapshot', 'status']),
    { code: 128, out: '', err: 'Error: snapshot status requires exactly one argument\n' });
  const missing = await utl(['snapshot', 'status', join(dir, 'nope.db')]);
  assert.equal(missing.code, 1);
  assert.match(missing.err, /^Error: stat .*nope\.db: no such file or directory\n$/);
  assert.equal((await utl(['hashkv'])).code, 128);
});
