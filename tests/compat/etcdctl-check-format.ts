/**
 * Output normalisation for the `check perf` / `check datascale` comparison: the progress line
 * (`\r` redraws) is validated segment by segment and collapsed to `<progress>`, measured numbers
 * become placeholders, and the PASS/FAIL wording of each judgement line is checked against
 * etcdctl 3.4's templates and reduced to its slot (so a loaded machine's FAIL still compares).
 */

/** One redraw before the end: ` cur / total  pct%[ time left]`. */
const PROGRESS_SEGMENT = /^ \d+ \/ \d+ +\d{1,3}\.\d\d%(?: (?:\d\dh)?\d\dm\d\ds)?$/;
/** The last redraw: ` total / total  100.00% <Go duration>`. */
const PROGRESS_FINAL = /^ (\d+) \/ \1  100\.00% (?:\d+h)?(?:\d+m)?\d+s$/;

/** etcdctl's judgement lines (check.go) with numbers as placeholders, and the slot each fills. */
const JUDGEMENTS: readonly (readonly [RegExp, string])[] = [
  [/^PASS: Throughput is \d+ writes\/s$/, '<throughput>'],
  [/^FAIL: Throughput too low: \d+ writes\/s$/, '<throughput>'],
  [/^PASS: Slowest request took \d+\.\d{6}s$/, '<slowest>'],
  [/^Slowest request took too long: \d+\.\d{6}s$/, '<slowest>'],
  [/^PASS: Stddev is \d+\.\d{6}s$/, '<stddev>'],
  [/^Stddev too high: \d+\.\d{6}s$/, '<stddev>'],
  [/^PASS$/, '<verdict>'],
  [/^FAIL$/, '<verdict>'],
];

function collapseProgress(run: string): string {
  const segments = run.slice(1, -1).split('\r');
  const last = segments.pop() ?? '';
  const bad = segments.find((s) => !PROGRESS_SEGMENT.test(s));
  if (bad !== undefined) return `<bad progress segment ${JSON.stringify(bad)}>\n`;
  if (!PROGRESS_FINAL.test(last)) return `<bad final progress ${JSON.stringify(last)}>\n`;
  return '<progress>\n';
}

/** Normalises a check command's stdout (see the module comment); `endpoint` becomes `<ep>`. */
export function normaliseCheckOutput(stdout: string, endpoint: string): string {
  return stdout
    .replace(/(?:\r[^\r\n]*)+\n/g, collapseProgress)
    .split('\n')
    .map((line) => JUDGEMENTS.find(([re]) => re.test(line))?.[1] ?? line)
    .join('\n')
    .replaceAll(endpoint, '<ep>')
    .replace(/revision \d+/g, 'revision <rev>')
    .replace(/used : -?\d+\.\d\d MB\./, 'used : <mb> MB.')
    .replace(/work load \[\d+ key-value pairs/, 'work load [<keys> key-value pairs');
}

/**
 * `check perf --auto-compact --auto-defrag` stdout of etcdctl 3.4.23 (load s, 2026-11-22), with the
 * 299 progress redraws cut to a few.
 */
export const ETCDCTL_PERF_STDOUT = '\r 0 / 60    0.00%\r 0 / 60    0.00%\r 1 / 60    1.67% 00m59s\r 1 / 60    1.67% 00m59s' +
  '\r 59 / 60   98.33% 00m01s\r 59 / 60   98.33%\r 60 / 60  100.00% 1m0s\n' +
  'Compacting with revision 43233\nCompacted with revision 43233\nDefragmenting "127.0.0.1:23791"\n' +
  'Defragmented "127.0.0.1:23791"\n' +
  'PASS: Throughput is 144 writes/s\nPASS: Slowest request took 0.247416s\nPASS: Stddev is 0.021117s\nPASS\n';

/** `check datascale --auto-compact --auto-defrag` stdout of etcdctl 3.4.23 (load s, same day), progress cut. */
export const ETCDCTL_DATASCALE_STDOUT =
  'Start data scale check for work load [10000 key-value pairs, 1024 bytes per key-value, 50 concurrent clients].\n' +
  '\r 0 / 10000    0.00%\r 621 / 10000    6.21% 00m03s\r 9923 / 10000   99.23%\r 10000 / 10000  100.00% 3s\n' +
  'Compacting with revision 29004\nCompacted with revision 29004\nDefragmenting "127.0.0.1:23791"\n' +
  'Defragmented "127.0.0.1:23791"\nPASS: Approximate system memory used : 32.74 MB.\n';

/** The endpoint the recorded outputs above were taken against. */
export const RECORDED_ENDPOINT = '127.0.0.1:23791';
