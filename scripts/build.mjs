// Build: compile TypeScript to dist/ with tsc. Type errors are reported by `npm run verify`;
// the build emits regardless so a single stray type error never blocks running the server.
// The output goes to a fresh sibling directory that then replaces dist/ in two renames, so a process
// started from bin/tetcd during a build sees the old or the new tree, never a half-written or missing one.
import { spawnSync } from 'node:child_process';
import { renameSync, rmSync } from 'node:fs';

const root = new URL('..', import.meta.url);
const dist = new URL('dist', root).pathname;
const staging = new URL(`dist.build-${process.pid}`, root).pathname;
const retired = new URL(`dist.old-${process.pid}`, root).pathname;

rmSync(staging, { recursive: true, force: true });
const result = spawnSync(process.execPath, [
  new URL('node_modules/typescript/bin/tsc', root).pathname,
  '-p', new URL('tsconfig.json', root).pathname, '--outDir', staging,
  '--noEmitOnError', 'false', '--pretty', 'false',
], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
const errorCount = (result.stdout.match(/error TS/g) ?? []).length;
if (errorCount > 0) {
  process.stderr.write(result.stdout);
  process.stderr.write(`build: ${errorCount} type error(s); output emitted anyway (npm run verify fails on them)\n`);
}
try {
  renameSync(dist, retired);
} catch (error) {
  if (error.code !== 'ENOENT') throw error;
}
renameSync(staging, dist);
rmSync(retired, { recursive: true, force: true });
process.exit(0);
