// Build: compile TypeScript to dist/ with tsc. Type errors are reported by `npm run verify`;
// the build emits regardless so a single stray type error never blocks running the server.
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';

rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
const result = spawnSync(process.execPath, [
  new URL('../node_modules/typescript/bin/tsc', import.meta.url).pathname,
  '-p', new URL('../tsconfig.json', import.meta.url).pathname,
  '--noEmitOnError', 'false', '--pretty', 'false',
], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
const errorCount = (result.stdout.match(/error TS/g) ?? []).length;
if (errorCount > 0) {
  process.stderr.write(result.stdout);
  process.stderr.write(`build: ${errorCount} type error(s); output emitted anyway (npm run verify fails on them)\n`);
}
process.exit(0);
