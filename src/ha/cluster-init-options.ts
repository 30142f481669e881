/**
 * The K3s HA flags of `tetcd server` and how they combine with env vars:
 * `--cluster-init`, `--server URL` (env TETCD_URL), `--token T` (TETCD_TOKEN), `--token-file F`
 * (TETCD_TOKEN_FILE), `--tls-san` (repeatable: joined with commas before parsing), and the hidden
 * `--learner-promote-interval` (Go duration, default 15s). A flag wins over its env var; a token wins
 * over a token file.
 */
import { readFileSync } from 'node:fs';

/** Name/kind/default/help of the HA server flags (flag-spec.ts adds them to SERVER_FLAGS). */
export const K3S_HA_SERVER_FLAGS: ReadonlyArray<{ name: string; kind: 'string' | 'bool' | 'duration'; default: string;
  help: string; hidden?: boolean }> = [
  { name: 'cluster-init', kind: 'bool', default: 'false', help: 'Create a new HA cluster: CA, certificates and join token under <data-dir>/server (K3s).' },
  { name: 'server', kind: 'string', default: '', help: 'Join the HA cluster of this server (https://host:client-port; env TETCD_URL).' },
  { name: 'token', kind: 'string', default: '', help: 'Join token (K10<ca hash>::server:<secret>, or the secret); with --cluster-init, the secret to use (env TETCD_TOKEN).' },
  { name: 'token-file', kind: 'string', default: '', help: 'File holding the token (env TETCD_TOKEN_FILE).' },
  { name: 'tls-san', kind: 'string', default: '', help: 'Extra host name or IP for the generated certificates (repeatable or comma-separated).' },
  { name: 'learner-promote-interval', kind: 'duration', default: '15s', help: 'How often the leader tries to promote learners.', hidden: true },
];

/** Thrown for inconsistent HA flags (the caller turns it into a flag error, exit 2). */
export class HaFlagError extends Error {
  override readonly name = 'HaFlagError';
  readonly code = 'ERR_HA_FLAGS';
}

export interface HaOptions {
  mode: 'init' | 'join';
  /** The server to join (mode 'join'). */
  serverUrl: string;
  /** The token ('' when none was given: allowed with --cluster-init, a secret is generated). */
  token: string;
  tlsSans: string[];
  promoteIntervalMs: number;
}

/**
 * Collects every `--tls-san X` / `--tls-san=X` (one or two dashes) into a single comma-separated
 * `--tls-san=...` so the one-value-per-flag parser sees them all. Other arguments are kept in order.
 */
export function joinRepeatedTlsSans(argv: readonly string[]): string[] {
  const sans: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const match = /^--?tls-san(?:=(.*))?$/.exec(arg);
    if (match === null) { rest.push(arg); continue; }
    const value = match[1] ?? argv[++i];
    if (value === undefined) { rest.push(arg); continue; }
    sans.push(value);
  }
  return sans.length === 0 ? rest : [...rest, `--tls-san=${sans.join(',')}`];
}

/**
 * The HA options, or undefined when neither --cluster-init nor --server (nor TETCD_URL) is set.
 * @param get the raw value of a flag ('' or its default when unset); `explicit` whether it was set.
 * @param parseDurationMs the server's Go-duration parser.
 * @throws HaFlagError for inconsistent flags or an unreadable token file.
 */
export function haOptionsFromFlags(get: (name: string) => string, env: NodeJS.ProcessEnv,
  parseDurationMs: (raw: string) => number): HaOptions | undefined {
  const init = get('cluster-init') === 'true';
  const serverUrl = get('server') !== '' ? get('server') : env['TETCD_URL'] ?? '';
  if (!init && serverUrl === '') return undefined;
  if (init && serverUrl !== '') {
    throw new HaFlagError('--cluster-init and --server are exclusive: --cluster-init creates a cluster, --server joins one');
  }
  const token = resolveToken(get, env);
  if (!init && token === '') throw new HaFlagError('--server needs a token: --token, --token-file, TETCD_TOKEN or TETCD_TOKEN_FILE');
  const promoteIntervalMs = parseDurationMs(get('learner-promote-interval'));
  if (promoteIntervalMs <= 0) throw new HaFlagError('--learner-promote-interval must be positive');
  const tlsSans = get('tls-san').split(',').map((s) => s.trim()).filter((s) => s !== '');
  return { mode: init ? 'init' : 'join', serverUrl, token, tlsSans, promoteIntervalMs };
}

function resolveToken(get: (name: string) => string, env: NodeJS.ProcessEnv): string {
  const direct = get('token') !== '' ? get('token') : env['TETCD_TOKEN'] ?? '';
  if (direct !== '') return direct.trim();
  const file = get('token-file') !== '' ? get('token-file') : env['TETCD_TOKEN_FILE'] ?? '';
  if (file === '') return '';
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (error) {
    throw new HaFlagError(`cannot read the token file ${file}: ${(error as Error).message}`);
  }
}
