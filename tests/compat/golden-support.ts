/**
 * Support for the etcdctl golden test: runs real etcdctl and tetcdctl, and normalises the values that
 * legitimately differ between two fresh etcd servers (ids, endpoints, lease ids, durations, zap logs).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/binaries.js';
import type { ServerProcess } from '../helpers/server.js';

/** One side of the comparison: a tool run against its own fresh etcd. */
export interface Side {
  label: string;
  server: ServerProcess;
  command: readonly string[];
  clusterId: bigint;
  memberId: bigint;
  /** Lease ids granted on this side, in grant order. */
  leases: bigint[];
  /** Ids of members added by `member add` cases, in order. */
  addedMembers?: bigint[];
  /** Revision learned by the last case with `learnRevision`. */
  revision?: number;
}

export interface RunResult {
  stdout: Buffer;
  stderr: string;
  exitCode: number;
}

/** Most time one CLI run may take. */
const RUN_TIMEOUT_MS = 30_000;

/** tetcdctl run from source through tsx (slow start; used when esbuild is unavailable). */
export const TETCDCTL_TSX_COMMAND = [process.execPath, '--import', 'tsx', `${REPO_ROOT}src/cli/ctl/bin.ts`];

/**
 * Bundles src/cli/ctl/bin.ts with esbuild (tsx's own dependency) into `dir` so each run starts in a
 * fraction of tsx's time; returns the command to run it, or the tsx command if bundling fails.
 */
export async function tetcdctlCommand(dir: string): Promise<readonly string[]> {
  try {
    const esbuild = await import('esbuild');
    const outfile = join(dir, 'tetcdctl.mjs');
    await esbuild.build({
      entryPoints: [`${REPO_ROOT}src/cli/ctl/bin.ts`], bundle: true, platform: 'node', format: 'esm', target: 'node20',
      outfile, logLevel: 'error',
      // Native packages stay external (resolved from the repository's node_modules at run time).
      external: ['lmdb', 'msgpackr', 'msgpackr-extract'],
      banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    });
    return [process.execPath, outfile];
  } catch {
    return TETCDCTL_TSX_COMMAND;
  }
}

/** Runs `command args` with ETCDCTL_ENDPOINTS (unless `withEndpointEnv` is false) and `stdin`. */
export function runTool(command: readonly string[], args: readonly string[], endpoint: string,
  options: { stdin?: string; withEndpointEnv?: boolean; env?: Record<string, string> } = {}): Promise<RunResult> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('ETCDCTL_')) env[k] = v;
  env['ETCDCTL_API'] = '3';
  if (options.withEndpointEnv !== false) env['ETCDCTL_ENDPOINTS'] = endpoint;
  Object.assign(env, options.env ?? {});
  return new Promise((resolve, reject) => {
    const child = spawn(command[0]!, [...command.slice(1), ...args], { cwd: REPO_ROOT, env, stdio: 'pipe' });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8'), exitCode: code ?? (signal === null ? -1 : 128) });
    });
    child.stdin.on('error', () => { /* the tool may exit before reading stdin (EPIPE) */ });
    child.stdin.end(options.stdin ?? '');
  });
}

/** Protobuf varint bytes of `value` as a latin1 string (to find ids in `-w protobuf` output). */
function varintLatin1(value: bigint): string {
  let v = BigInt.asUintN(64, value);
  let out = '';
  do {
    const byte = Number(v & 0x7fn);
    v >>= 7n;
    out += String.fromCharCode(v > 0n ? byte | 0x80 : byte);
  } while (v > 0n);
  return out;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const GO_DURATION = '(?:\\d+(?:\\.\\d+)?(?:ns|µs|us|ms|s|m|h))+';

/** Replaces side-specific values with placeholders; everything else stays byte-exact. */
export function normalise(
  text: string, side: Side, options: { ttl?: boolean; collapseTables?: boolean; dbSize?: boolean } = {},
): string {
  let out = text
    .split('\n').filter((line) => !line.startsWith('{"level":"warn"')).join('\n')
    .replace(new RegExp(`(took(?: = |":"|" : ))${GO_DURATION}`, 'gi'), '$1<duration>')
    .replace(new RegExp(`(\\| +)${GO_DURATION}( \\|)`, 'g'), (_m, a: string, b: string) => `${a}<duration>${b}`)
    .replace(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6} C \|/m, '<time> C |');
  if (options.ttl === true) out = out.replace(/remaining\(\d+s\)/g, 'remaining(<n>s)').replace(/"ttl":\d+/g, '"ttl":<n>');
  if (options.dbSize === true) out = normaliseDbSizes(out);
  const replacements: [string, string][] = [];
  side.leases.forEach((id, i) => {
    replacements.push([id.toString(16).padStart(16, '0'), `<lease${i}>`], [id.toString(), `<lease${i}>`]);
  });
  (side.addedMembers ?? []).forEach((id, i) => {
    replacements.push([id.toString(16), `<added${i}-hex>`], [id.toString(), `<added${i}>`]);
  });
  for (const [value, name] of [[side.clusterId, 'cluster'], [side.memberId, 'member']] as const) {
    replacements.push([value.toString(), `<${name}>`], [value.toString(16), `<${name}-hex>`], [varintLatin1(value), `<${name}-varint>`]);
  }
  for (const url of [side.server.clientUrl, side.server.peerUrl, side.server.endpoint]) replacements.push([url, '<endpoint>']);
  replacements.sort((a, b) => b[0].length - a[0].length);
  for (const [value, name] of replacements) out = out.replace(new RegExp(escapeRegExp(value), 'g'), name);
  // `member add|remove|...` pad ids to 16 columns (%16x); ETCD_INITIAL_CLUSTER lists members in id order.
  out = out.replace(/^Member +(<\S+>) (added to|removed from|updated in|promoted in) cluster +</gm, 'Member $1 $2 cluster <')
    .replace(/^ETCD_INITIAL_CLUSTER="([^"]*)"$/m, (_m, list: string) => `ETCD_INITIAL_CLUSTER="${list.split(',').sort().join(',')}"`)
    .replace(/"members":\[\{(.*?)\}\]/g, (_m, body: string) => `"members":[{${body.split('},{').sort().join('},{')}}]`);
  // Table widths depend on id lengths; when the two servers' ids differ in length, compare cell text only.
  if (options.collapseTables === true || /^\|.*<duration>/m.test(out)) {
    out = out.split('\n').map((l) => (/^[|+]/.test(l) ? l.replace(/ +/g, ' ').replace(/-+/g, '-') : l)).join('\n');
  }
  return out;
}

/**
 * A real etcd's bbolt file grows in steps whose timing differs between two fresh servers given the same
 * commands, so `endpoint status` db sizes are placeholders (every other column stays byte-exact).
 */
function normaliseDbSizes(text: string): string {
  const human = '\\d+(?:\\.\\d+)? [kMGTPE]?B';
  return text
    .replace(new RegExp(`^([^,\\n]+, [^,\\n]+, [^,\\n]+, )${human}(, )`, 'gm'), '$1<size>$2')
    .replace(new RegExp(`(\\| +)${human}( +\\|)`, 'g'), '$1<size>$2')
    .replace(/("dbSize(?:InUse)?":)\d+/g, '$1<n>')
    .replace(/("DbSize(?:InUse)?" : )\d+/g, '$1<n>');
}
