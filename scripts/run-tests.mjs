// Test runner: finds *.test.ts files for the named suites and runs them with node's test runner.
//   unit: src/**/*.test.ts   e2e: tests/e2e   compat: tests/compat   cluster: tests/cluster   robustness: tests/robustness
//   slow: the files in SLOW_FILES (left out of the other suites so `npm test` stays under 20 minutes;
//   `npm run test:slow` runs them)
// TEST_FILTER=substring narrows the files; extra args after the suites are passed to node --test.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const suiteRoots = {
  unit: 'src', e2e: 'tests/e2e', compat: 'tests/compat', cluster: 'tests/cluster', robustness: 'tests/robustness',
};
/** Long-running files (a minute or more each on a quiet 2-CPU machine), run by the `slow` suite only. */
const SLOW_FILES = [
  // etcdctl golden cases for member/watch/lock/elect/lease/auth (~90 s): the main golden file stays in npm test.
  'tests/compat/etcdctl-golden-ext.test.ts',
];
const args = process.argv.slice(2);
const suites = args.filter((a) => a in suiteRoots || a === 'slow');
const passThrough = args.filter((a) => !(a in suiteRoots) && a !== 'slow');

function collect(dir, out) {
  let names;
  try { names = readdirSync(dir); } catch { return out; }
  for (const name of names.sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) collect(path, out);
    else if (name.endsWith('.test.ts')) out.push(relative(root, path));
  }
  return out;
}

const filter = process.env.TEST_FILTER ?? '';
const files = suites
  .flatMap((s) => (s === 'slow' ? SLOW_FILES : collect(join(root, suiteRoots[s]), []).filter((f) => !SLOW_FILES.includes(f))))
  .filter((f) => f.includes(filter));
if (files.length === 0) {
  console.error(`run-tests: no test files for suites [${suites.join(', ')}] filter '${filter}'`);
  process.exit(1);
}
// The spec reporter goes to the terminal; a TAP copy goes to a temp file so the run can end with one plain
// summary line ("tests: N passed, N failed") that CI and people can read.
const tapDir = mkdtempSync(join(tmpdir(), 'tetcd-tests-'));
const tapPath = join(tapDir, 'report.tap');
const result = spawnSync(process.execPath, [
  '--import', 'tsx', '--test', '--test-concurrency=1',
  '--test-reporter=spec', '--test-reporter-destination=stdout',
  '--test-reporter=tap', `--test-reporter-destination=${tapPath}`,
  ...passThrough, ...files,
], { cwd: root, stdio: 'inherit' });
printSummary(tapPath);
rmSync(tapDir, { recursive: true, force: true });
process.exit(result.status ?? 1);

function printSummary(path) {
  let tap;
  try { tap = readFileSync(path, 'utf8'); } catch { return; }
  const count = (name) => Number(new RegExp(`^# ${name} (\\d+)$`, 'm').exec(tap)?.[1] ?? 0);
  const failed = count('fail') + count('cancelled');
  console.log(`tests: ${count('pass')} passed, ${failed} failed`);
}
