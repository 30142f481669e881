/**
 * Long robustness runs: `npx tsx tests/robustness/main.ts --duration 30m --members 3|5 --seed N --profile kv|k8s`
 * (the lead wires it as `npm run robustness`). Other flags: --faults kill,pause,... --crash-points SPEC
 * (TETCD_CRASH_POINTS for every member) --canary ack-before-fsync|lease-early-expiry --snapshot-count N,
 * --secure (client TLS + auth, secure.ts); --profile lease adds short-lease traffic. Exit code 1 on a violation; the report
 * directory is printed.
 */
import { parseArgs } from 'node:util';
import { FAULTS, type FaultName } from './faults.js';
import { runRobustness } from './run.js';

/** Parses `30m`, `90s`, `2h` or plain milliseconds. */
export function parseDurationMs(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text);
  if (m === null) throw new Error(`bad duration '${text}'`);
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[(m[2] ?? 'ms') as 'ms' | 's' | 'm' | 'h'];
  return Number(m[1]) * unit;
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: {
    duration: { type: 'string', default: '30m' }, members: { type: 'string', default: '3' },
    seed: { type: 'string' }, profile: { type: 'string', default: 'kv' }, faults: { type: 'string' },
    'crash-points': { type: 'string' }, canary: { type: 'string' }, clients: { type: 'string', default: '8' },
    'snapshot-count': { type: 'string' }, secure: { type: 'boolean', default: false },
  } });
  const seed = Number(values.seed ?? process.env['SEED'] ?? Math.floor(Math.random() * 2 ** 31));
  console.log(`SEED=${seed}`);
  const members = Number(values.members);
  if (members !== 3 && members !== 5) throw new Error('--members must be 3 or 5');
  if (values.profile !== 'kv' && values.profile !== 'k8s' && values.profile !== 'lease') {
    throw new Error('--profile must be kv, k8s or lease');
  }
  const faults = values.faults?.split(',').map((f) => {
    if (!(FAULTS as readonly string[]).includes(f)) throw new Error(`unknown fault ${f}; known: ${FAULTS.join(',')}`);
    return f as FaultName;
  });
  const env: Record<string, string> = {};
  if (values['crash-points'] !== undefined) env['TETCD_CRASH_POINTS'] = values['crash-points'];
  if (values.canary !== undefined) env['TETCD_CANARY_BUG'] = values.canary;
  const result = await runRobustness({ seed, durationMs: parseDurationMs(values.duration), members,
    profile: values.profile, clients: Number(values.clients), env, secure: values.secure,
    ...(faults === undefined ? {} : { faults }),
    ...(values['snapshot-count'] === undefined ? {} : { snapshotCount: Number(values['snapshot-count']) }) });
  console.log(result.summary);
  for (const v of result.violations.slice(0, 30)) console.log(`VIOLATION: ${v}`);
  if (result.reportDir !== undefined) console.log(`report: ${result.reportDir}`);
  console.log(result.ok ? 'robustness: PASS' : 'robustness: FAIL');
  return result.ok ? 0 : 1;
}

main().then((code) => { process.exitCode = code; }, (error: unknown) => {
  console.error(error);
  process.exitCode = 2;
});
