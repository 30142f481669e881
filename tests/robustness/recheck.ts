/**
 * Re-runs the checkers on a saved report: `npx tsx tests/robustness/recheck.ts <report dir>/history.json`.
 * Prints the violations (exit 1 if any).
 */
import { readFileSync } from 'node:fs';
import type { History } from './history.js';
import { checkHistory } from './run.js';
import type { Profile } from './traffic.js';

const path = process.argv[2];
if (path === undefined) throw new Error('usage: recheck.ts <history.json>');
const history = JSON.parse(readFileSync(path, 'utf8')) as History;
const result = checkHistory(history, history.profile as Profile);
for (const v of result.violations) console.log(`VIOLATION: ${v}`);
console.log(`ops=${history.ops.length} WGL keys=${result.wglKeys} unknown=${result.wglUnknown} violations=${result.violations.length}`);
process.exitCode = result.violations.length === 0 ? 0 : 1;
