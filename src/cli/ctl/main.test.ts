import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCtl } from './main.js';

type Result = { code: number; out: string; err: string };

async function run(args: string[], env: Record<string, string> = {}): Promise<Result> {
  let out = '';
  let err = '';
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    const code = await runCtl(args, {
      stdout: (t) => { out += typeof t === 'string' ? t : Buffer.from(t).toString('latin1'); },
      stderr: (t) => { err += t; },
    });
    return { code, out, err };
  } finally {
    for (const k of Object.keys(env)) if (!(k in saved)) delete process.env[k];
  }
}

test('argument errors need no server and use etcdctl exit codes', async () => {
  assert.deepEqual(await run(['get']), { code: 128, out: '',
    err: 'Error: get command needs one argument as key and an optional argument as range_end\n' });
  assert.equal((await run(['lease', 'grant', 'x'])).err, 'Error: bad TTL (strconv.ParseInt: parsing "x": invalid syntax)\n');
  assert.equal((await run(['get', 'a', '--sort-by=nope'])).code, 4);
  assert.equal((await run(['get', 'a', '-w', 'xml'])).err, 'Error: unsupported output format\n');
});

test('unknown commands get cobra suggestions', async () => {
  const { code, err } = await run(['gte']);
  assert.equal(code, 1);
  assert.equal(err, 'Error: unknown command "gte" for "etcdctl"\n\nDid you mean this?\n\tget\n\n' +
    "Run 'etcdctl --help' for usage.\nError: unknown command \"gte\" for \"etcdctl\"\n\nDid you mean this?\n\tget\n\n");
});

test('help and flag errors print usage on stdout', async () => {
  const help = await run(['put', '-h']);
  assert.equal(help.code, 0);
  assert.match(help.out, /^NAME:\n\tput - Puts the given key into the store\n\nUSAGE:\n\tetcdctl put \[options\]/);
  assert.match(help.out, /\n      --lease="0"\t\tlease ID \(in hexadecimal\) to attach to the key\n/);
  const bad = await run(['get', '--nope']);
  assert.equal(bad.code, 1);
  assert.match(bad.out, /^NAME:\n\tget - /);
  assert.equal(bad.err, 'Error: unknown flag: --nope\n\nError: unknown flag: --nope\n');
  assert.equal((await run(['member'])).code, 0);
});

test('a flag given both ways is refused like pkg/flags', async () => {
  const { code, err } = await run(['--endpoints=127.0.0.1:9', 'get', 'a'], { ETCDCTL_ENDPOINTS: '127.0.0.1:8' });
  assert.equal(code, 1);
  assert.match(err, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6} C \| pkg\/flags: /);
  assert.match(err, /conflicting environment variable "ETCDCTL_ENDPOINTS" is shadowed/);
});

test('version', async () => {
  assert.deepEqual(await run(['version']), { code: 0, out: 'etcdctl version: 3.4.23\nAPI version: 3.4\n', err: '' });
});
