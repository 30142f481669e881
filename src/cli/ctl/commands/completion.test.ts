import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCtl } from '../main.js';

async function ctl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCtl(args, { stdout: (t) => { stdout += String(t); }, stderr: (t) => { stderr += t; } });
  return { code, stdout, stderr };
}

/** Sources `script` in bash, simulates completing `words` (the last one is being typed), returns COMPREPLY. */
function complete(scriptFile: string, words: string[]): string[] {
  const quoted = words.map((w) => `'${w}'`).join(' ');
  const out = execFileSync('bash', ['-c', `source ${scriptFile}; COMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}; ` +
    '_tetcdctl; printf "%s\\n" "${COMPREPLY[@]}"'], { encoding: 'utf8' });
  return out.split('\n').filter((l) => l !== '').sort();
}

test('completion bash: registers and completes commands, flags and values', async () => {
  const r = await ctl(['completion', 'bash']);
  assert.equal(r.code, 0);
  assert.equal(r.stderr, '');
  const dir = mkdtempSync(join(tmpdir(), 'tetcdctl-completion-'));
  try {
    const file = join(dir, 'tetcdctl.bash');
    writeFileSync(file, r.stdout);
    const registered = execFileSync('bash', ['-c', `source ${file}; complete -p tetcdctl`], { encoding: 'utf8' });
    assert.equal(registered.trim(), 'complete -o default -F _tetcdctl tetcdctl');
    assert.deepEqual(complete(file, ['tetcdctl', 'mem']), ['member']);
    assert.deepEqual(complete(file, ['tetcdctl', 'member', '']), ['add', 'list', 'promote', 'remove', 'update']);
    assert.deepEqual(complete(file, ['tetcdctl', 'comp']), ['compact', 'compaction', 'completion']);
    assert.deepEqual(complete(file, ['tetcdctl', '--endpoints', 'x:1', 'member', 'l']), ['list']);
    assert.deepEqual(complete(file, ['tetcdctl', 'get', '--pre']), ['--prefix']);
    assert.deepEqual(complete(file, ['tetcdctl', 'endpoint', 'status', '--cl']), ['--cluster']);
    assert.deepEqual(complete(file, ['tetcdctl', 'get', 'k', '-w', 'j']), ['json']);
    assert.deepEqual(complete(file, ['tetcdctl', 'check', 'perf', '--load', '']), ['l', 'm', 's', 'xl']);
    assert.deepEqual(complete(file, ['tetcdctl', 'check', '']), ['datascale', 'perf']);
    assert.deepEqual(complete(file, ['tetcdctl', 'put', '--', '']), []);
    assert.ok(!complete(file, ['tetcdctl', 'defrag', '--']).includes('--rolling'), 'hidden flags are not offered');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('completion zsh prints a zsh script built on the bash tables', async () => {
  const r = await ctl(['completion', 'zsh']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^#compdef tetcdctl\n/);
  assert.match(r.stdout, /bashcompinit/);
  assert.match(r.stdout, /complete -o default -F _tetcdctl tetcdctl/);
});

test('migrate: etcdctl wording for a missing member dir', async () => {
  const r = await ctl(['migrate', '--data-dir', '/nonexistent-tetcd-dir']);
  assert.deepEqual([r.code, r.stdout, r.stderr], [1, 'using default transformer\n',
    'Error: open /nonexistent-tetcd-dir/member/snap: no such file or directory\n']);
});
