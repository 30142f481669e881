/**
 * Flag parsing for `tetcd snapshot`: K3s's `etcd-snapshot` flags, each under both of K3s's spellings
 * (`--dir`/`--etcd-snapshot-dir`, `--s3-bucket`/`--etcd-s3-bucket`, ...). Strings take `--f v` or
 * `--f=v`; booleans take `--f`, `--f=true` or `--f=false`.
 */
import { hostname } from 'node:os';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  defaultSnapshotDir, ON_DEMAND_NAME_DEFAULT, SNAPSHOT_RETENTION_DEFAULT, type MemberTls, type S3Options,
} from './options.js';
import { s3OptionsFromFlagValues } from './server-flags.js';
import type { ListFormat } from './list-format.js';

/** Thrown for bad command-line usage (exit code 1 with the message). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

type Kind = 'string' | 'bool';
/** Canonical key → kind and every accepted spelling (without leading dashes). */
const FLAGS: Readonly<Record<string, { kind: Kind; names: readonly string[] }>> = {
  dataDir: { kind: 'string', names: ['data-dir', 'd'] },
  dir: { kind: 'string', names: ['dir', 'etcd-snapshot-dir'] },
  name: { kind: 'string', names: ['name', 'etcd-snapshot-name'] },
  nodeName: { kind: 'string', names: ['node-name'] },
  server: { kind: 'string', names: ['etcd-server', 'endpoint'] },
  cacert: { kind: 'string', names: ['cacert'] },
  cert: { kind: 'string', names: ['cert'] },
  key: { kind: 'string', names: ['key'] },
  compress: { kind: 'bool', names: ['snapshot-compress', 'etcd-snapshot-compress'] },
  retention: { kind: 'string', names: ['snapshot-retention', 'etcd-snapshot-retention'] },
  output: { kind: 'string', names: ['output', 'o'] },
  s3: { kind: 'bool', names: ['s3', 'etcd-s3'] },
  s3Endpoint: { kind: 'string', names: ['s3-endpoint', 'etcd-s3-endpoint'] },
  s3EndpointCa: { kind: 'string', names: ['s3-endpoint-ca', 'etcd-s3-endpoint-ca'] },
  s3SkipSslVerify: { kind: 'bool', names: ['s3-skip-ssl-verify', 'etcd-s3-skip-ssl-verify'] },
  s3AccessKey: { kind: 'string', names: ['s3-access-key', 'etcd-s3-access-key'] },
  s3SecretKey: { kind: 'string', names: ['s3-secret-key', 'etcd-s3-secret-key'] },
  s3Bucket: { kind: 'string', names: ['s3-bucket', 'etcd-s3-bucket'] },
  s3Region: { kind: 'string', names: ['s3-region', 'etcd-s3-region'] },
  s3Folder: { kind: 'string', names: ['s3-folder', 'etcd-s3-folder'] },
  s3Insecure: { kind: 'bool', names: ['s3-insecure', 'etcd-s3-insecure'] },
  s3Timeout: { kind: 'string', names: ['s3-timeout', 'etcd-s3-timeout'] },
  help: { kind: 'bool', names: ['help', 'h'] },
};
const BY_NAME = new Map(Object.entries(FLAGS).flatMap(([key, spec]) => spec.names.map((n) => [n, { key, ...spec }])));

/** Parsed flags (canonical keys) and positional arguments. */
export interface ParsedArgs {
  strings: Map<string, string>;
  bools: Map<string, boolean>;
  positional: string[];
}

function parseBool(name: string, value: string): boolean {
  if (/^(true|1|t)$/i.test(value)) return true;
  if (/^(false|0|f)$/i.test(value)) return false;
  throw new UsageError(`invalid boolean value "${value}" for flag -${name}`);
}

/** Parses argv (after the subcommand). @throws UsageError on an unknown flag or a missing value. */
export function parseArgs(argv: readonly string[]): ParsedArgs {
  const out: ParsedArgs = { strings: new Map(), bools: new Map(), positional: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('-') || arg === '-') { out.positional.push(arg); continue; }
    if (arg === '--') { out.positional.push(...argv.slice(i + 1)); break; }
    const body = arg.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const name = eq >= 0 ? body.slice(0, eq) : body;
    const spec = BY_NAME.get(name);
    if (spec === undefined) throw new UsageError(`flag provided but not defined: -${name}`);
    if (spec.kind === 'bool') {
      out.bools.set(spec.key, eq >= 0 ? parseBool(name, body.slice(eq + 1)) : true);
    } else if (eq >= 0) {
      out.strings.set(spec.key, body.slice(eq + 1));
    } else {
      const value = argv[++i];
      if (value === undefined) throw new UsageError(`flag needs an argument: -${name}`);
      out.strings.set(spec.key, value);
    }
  }
  return out;
}

/** The tetcd data dir when `--data-dir` is not given (the server's default). */
export const DATA_DIR_DEFAULT = 'default.tetcd';

/** Resolved settings common to all subcommands. */
export interface CommandSettings {
  dataDir: string;
  dir: string;
  nodeName: string;
  s3?: S3Options;
}

/** Command-line key → the server flag of the same meaning (for the shared S3 option builder). */
const S3_FLAG_OF_KEY: Readonly<Record<string, string>> = {
  s3Endpoint: 'etcd-s3-endpoint', s3EndpointCa: 'etcd-s3-endpoint-ca', s3SkipSslVerify: 'etcd-s3-skip-ssl-verify',
  s3AccessKey: 'etcd-s3-access-key', s3SecretKey: 'etcd-s3-secret-key', s3Bucket: 'etcd-s3-bucket',
  s3Region: 'etcd-s3-region', s3Folder: 'etcd-s3-folder', s3Insecure: 'etcd-s3-insecure', s3Timeout: 'etcd-s3-timeout',
};

/** Builds S3 options when `--s3` is set. @throws UsageError on a missing bucket or bad timeout. */
export function s3OptionsFrom(args: ParsedArgs): S3Options | undefined {
  if (args.bools.get('s3') !== true) return undefined;
  const values = new Map<string, string>();
  for (const [key, flag] of Object.entries(S3_FLAG_OF_KEY)) {
    const text = args.strings.get(key);
    const bool = args.bools.get(key);
    if (text !== undefined) values.set(flag, text);
    if (bool !== undefined) values.set(flag, String(bool));
  }
  try {
    return s3OptionsFromFlagValues(values);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** Common settings. @throws UsageError (see s3OptionsFrom). */
export function commandSettings(args: ParsedArgs): CommandSettings {
  const dataDir = args.strings.get('dataDir') ?? DATA_DIR_DEFAULT;
  const s3 = s3OptionsFrom(args);
  return {
    dataDir,
    dir: args.strings.get('dir') ?? defaultSnapshotDir(dataDir),
    nodeName: args.strings.get('nodeName') ?? hostname(),
    ...(s3 !== undefined ? { s3 } : {}),
  };
}

/** The base name for save/prune (`--name`, default `on-demand`). */
export function snapshotBaseName(args: ParsedArgs): string {
  const name = args.strings.get('name') ?? ON_DEMAND_NAME_DEFAULT;
  if (name === '' || name.includes('/')) throw new UsageError(`invalid snapshot name ${JSON.stringify(name)}`);
  return name;
}

/** `--snapshot-retention` (default 5). @throws UsageError unless a non-negative integer. */
export function retentionFrom(args: ParsedArgs): number {
  const text = args.strings.get('retention');
  if (text === undefined) return SNAPSHOT_RETENTION_DEFAULT;
  if (!/^\d+$/.test(text)) throw new UsageError(`invalid snapshot retention ${JSON.stringify(text)}`);
  return Number(text);
}

/** `-o` value. @throws UsageError with K3s's `invalid output format: X`. */
export function listFormatFrom(args: ParsedArgs): ListFormat {
  const text = (args.strings.get('output') ?? '').toLowerCase();
  if (text === '' || text === 'table') return 'table';
  if (text === 'json' || text === 'yaml') return text;
  throw new UsageError(`invalid output format: ${text}`);
}

/** Reads `KEY=VALUE` lines of `<data-dir>/server/tetcdctl.env` (missing file ⇒ empty map). */
export function readCtlEnv(dataDir: string): Map<string, string> {
  const out = new Map<string, string>();
  let text: string;
  try { text = readFileSync(join(dataDir, 'server', 'tetcdctl.env'), 'utf8'); } catch { return out; }
  for (const line of text.split('\n')) {
    const match = /^\s*(?:export\s+)?([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
    if (match !== null) out.set(match[1]!, match[2]!.trim().replace(/^(['"])(.*)\1$/, '$2'));
  }
  return out;
}

/** The member endpoint and TLS files: flags first, then `<data-dir>/server/tetcdctl.env`. Throws fs errors. */
export function memberConnection(args: ParsedArgs, dataDir: string): { endpoint: string; tls?: MemberTls } {
  const env = readCtlEnv(dataDir);
  const pick = (flag: string, envKey: string): string | undefined => args.strings.get(flag) ?? env.get(envKey);
  const caPath = pick('cacert', 'ETCDCTL_CACERT');
  const certPath = pick('cert', 'ETCDCTL_CERT');
  const keyPath = pick('key', 'ETCDCTL_KEY');
  const tls: MemberTls = {
    ...(caPath !== undefined ? { ca: readFileSync(caPath) } : {}),
    ...(certPath !== undefined ? { cert: readFileSync(certPath) } : {}),
    ...(keyPath !== undefined ? { key: readFileSync(keyPath) } : {}),
  };
  const secure = caPath !== undefined || certPath !== undefined;
  const fromEnv = env.get('ETCDCTL_ENDPOINTS')?.split(',')[0];
  const endpoint = args.strings.get('server') ?? fromEnv ?? `${secure ? 'https' : 'http'}://127.0.0.1:2379`;
  return Object.keys(tls).length > 0 ? { endpoint, tls } : { endpoint };
}
