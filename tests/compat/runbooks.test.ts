/**
 * Runbooks verbatim: every etcdctl command line of /work/shared/runbooks/etcd-maintenance.txt and
 * etcd-operations-guide.txt (pipes to jq included) runs through bash with `etcdctl` on PATH being
 * first Debian's etcdctl 3.4, then tetcdctl, against a TLS member with client-certificate auth: real
 * etcd, then tetcd. Placeholders are substituted (endpoints, certificate paths, /backup, /var/lib/etcd,
 * `<name>`, `sudo`). tetcdctl must exit like etcdctl on every line and print output wherever etcdctl
 * does; lines etcdctl runs successfully must succeed.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCa, issueCert } from '../../src/pki/index.js';
import { ETCDCTL_BIN, REPO_ROOT, requireOracleBinaries } from '../helpers/binaries.js';
import { ServerProcess } from '../helpers/server.js';
import type { ServerKind } from '../helpers/server.js';
import { tetcdctlCommand } from './golden-support.js';

const RUNBOOKS = ['/work/shared/runbooks/etcd-maintenance.txt', '/work/shared/runbooks/etcd-operations-guide.txt'];
/** Most time one runbook step may take. */
const STEP_TIMEOUT_MS = 60_000;
const START = /^(?:sudo )?(?:ETCDCTL_API=3 )?etcdctl |^REV=\$\(etcdctl |^export ETCDCTL_/;

/** One runnable step: its text (verbatim, continuations joined) and the exports in effect. */
interface Step { file: string; text: string; exports: string[] }

function unbalanced(text: string): boolean {
  return (text.split("'").length - 1) % 2 === 1;
}

/** Extracts the etcdctl steps of a runbook (plus the backup script block as one step). */
export function extractSteps(file: string): Step[] {
  const lines = readFileSync(file, 'utf8').split('\n');
  const steps: Step[] = [];
  const exports: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.startsWith('# /opt/scripts/etcd-backup.sh')) {
      const block: string[] = [];
      for (i++; i < lines.length && !lines[i]!.startsWith('# Upload'); i++) {
        if (!lines[i]!.startsWith('#')) block.push(lines[i]!);
      }
      steps.push({ file, text: block.join('\n').replace(/^set -euo pipefail$/m, 'set -eo pipefail'), exports: [] });
      continue;
    }
    if (!START.test(line)) continue;
    let text = line;
    while ((text.endsWith('\\') || unbalanced(text)) && i + 1 < lines.length) text += `\n${lines[++i]!}`;
    if (!text.includes("'")) text = text.replace(/\s+#\s.*$/, '');
    if (text.startsWith('export ')) exports.push(text);
    else steps.push({ file, text, exports: [...exports] });
  }
  // The NOSPACE block's `REV=$(...)` feeds the next line: run them together.
  for (let i = 0; i + 1 < steps.length; i++) {
    if (steps[i]!.text.startsWith('REV=')) steps.splice(i, 2, { ...steps[i]!, text: `${steps[i]!.text}\n${steps[i + 1]!.text}` });
  }
  return steps;
}

interface Pki { ca: string; cert: string; key: string }
let dir = '';
let pki: Pki;
let toolBins: { etcdctl: string; tetcdctl: string };

async function makePki(root: string): Promise<Pki> {
  const ca = await createCa({ commonName: 'runbook-ca' });
  const member = await issueCert(ca, { commonName: 'member', sans: ['127.0.0.1', 'localhost'], usage: 'peer' });
  const paths = { ca: join(root, 'ca.crt'), cert: join(root, 'server.crt'), key: join(root, 'server.key') };
  writeFileSync(paths.ca, ca.certPem);
  writeFileSync(paths.cert, member.certPem);
  writeFileSync(paths.key, member.keyPem, { mode: 0o600 });
  return paths;
}

/** A directory holding an `etcdctl` script that runs `command`. */
function wrapperDir(name: string, command: readonly string[]): string {
  const bin = join(dir, name);
  mkdirSync(bin);
  const quoted = command.map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
  writeFileSync(join(bin, 'etcdctl'), `#!/bin/sh\nexec ${quoted} "$@"\n`);
  chmodSync(join(bin, 'etcdctl'), 0o755);
  return bin;
}

function substitute(text: string, server: ServerProcess, tool: string): string {
  return text
    .replace(/https:\/\/(?:127\.0\.0\.1|10\.0\.0\.\d):2379/g, server.clientUrl)
    .replace(/\/etc\/kubernetes\/pki\/etcd\/ca\.crt/g, pki.ca)
    .replace(/\/etc\/kubernetes\/pki\/etcd\/server\.crt/g, pki.cert)
    .replace(/\/etc\/kubernetes\/pki\/etcd\/server\.key/g, pki.key)
    .replace(/\/backup\/etcd-(?:\$\(date [^)]*\)|[0-9-]+)\.db/g, join(dir, 'backup', 'etcd.db'))
    .replace(/\/backup\b/g, join(dir, 'backup'))
    .replace(/\/var\/lib\/etcd\b/g, join(dir, `restored-${tool}-${server.kind}`))
    .replace(/<name>/g, 'crd1')
    .replace(/^sudo /gm, '');
}

/** A write through real etcdctl, so each tool's run of a step sees a new revision (compact $REV twice). */
function tick(server: ServerProcess): void {
  const r = spawnSync(ETCDCTL_BIN, [`--endpoints=${server.clientUrl}`, `--cacert=${pki.ca}`, `--cert=${pki.cert}`,
    `--key=${pki.key}`, 'put', 'runbook/tick', String(Date.now())], { encoding: 'utf8', timeout: STEP_TIMEOUT_MS });
  assert.equal(r.status, 0, `tick failed: ${r.stderr}`);
}

function runStep(step: Step, server: ServerProcess, tool: 'etcdctl' | 'tetcdctl'): { code: number; out: string; err: string } {
  tick(server);
  const script = [...step.exports, step.text].map((t) => substitute(t, server, tool)).join('\n');
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('ETCDCTL_')) env[k] = v;
  env['PATH'] = `${toolBins[tool]}:${process.env['PATH'] ?? ''}`;
  const r = spawnSync('bash', ['-c', script], { env, cwd: dir, encoding: 'utf8', timeout: STEP_TIMEOUT_MS });
  return { code: r.status ?? 128, out: r.stdout, err: r.stderr };
}

before(async () => {
  requireOracleBinaries();
  const cacheDir = join(REPO_ROOT, 'node_modules', '.cache');
  mkdirSync(cacheDir, { recursive: true });
  dir = mkdtempSync(join(cacheDir, 'tetcdctl-runbooks-'));
  mkdirSync(join(dir, 'backup'));
  pki = await makePki(dir);
  const bundle = await tetcdctlCommand(dir);
  toolBins = { etcdctl: wrapperDir('bin-etcdctl', [ETCDCTL_BIN]), tetcdctl: wrapperDir('bin-tetcdctl', bundle) };
});

after(() => {
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

test('the runbooks extract to the expected etcdctl steps', () => {
  const steps = RUNBOOKS.flatMap(extractSteps);
  assert.ok(steps.length >= 20, `only ${steps.length} steps found`);
  assert.ok(steps.some((s) => s.text.includes("jq '.[0].Status.header.revision'")));
  assert.ok(steps.some((s) => s.text.startsWith('ETCDCTL_API=3 etcdctl snapshot restore')));
});

for (const kind of ['etcd', 'tetcd'] as ServerKind[]) {
  test(`every runbook command runs with tetcdctl as with etcdctl against ${kind}`, async () => {
    const server = await ServerProcess.start({ kind, name: 'default', clientScheme: 'https', extraArgs: [
      `--cert-file=${pki.cert}`, `--key-file=${pki.key}`, `--trusted-ca-file=${pki.ca}`, '--client-cert-auth'] });
    const failures: string[] = [];
    try {
      for (const step of RUNBOOKS.flatMap(extractSteps)) {
        const expected = runStep(step, server, 'etcdctl');
        const actual = runStep(step, server, 'tetcdctl');
        const problems: string[] = [];
        if (expected.code !== actual.code) problems.push(`exit code: etcdctl ${expected.code}, tetcdctl ${actual.code}`);
        if ((expected.out.trim() === '') !== (actual.out.trim() === '')) problems.push('stdout presence differs');
        if (problems.length > 0) {
          failures.push(`## ${step.text}\n${problems.join('\n')}\netcdctl: ${expected.out}${expected.err}\n` +
            `tetcdctl: ${actual.out}${actual.err}`);
        }
      }
    } finally {
      await server.cleanup();
    }
    assert.equal(failures.length, 0, `${failures.length} runbook steps differ on ${kind}:\n${failures.join('\n\n')}`);
  });
}
