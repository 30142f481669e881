/**
 * etcdctl's global (root persistent) flags, their ETCDCTL_* environment variables and the resolved
 * GlobalOptions every command uses.
 */
import type { FlagSpec, FlagValues } from './flag-parser.js';
import { GoParseError, goQuote } from './go-format.js';

const s = (name: string, defaultText: string, usage: string, short?: string): FlagSpec =>
  short === undefined ? { name, kind: 'string', defaultText, usage } : { name, short, kind: 'string', defaultText, usage };
const b = (name: string, defaultText: string, usage: string): FlagSpec => ({ name, kind: 'bool', defaultText, usage });
const d = (name: string, defaultText: string, usage: string): FlagSpec => ({ name, kind: 'duration', defaultText, usage });

/** The root persistent flags of etcdctl 3.4 (names, defaults and help text). */
export const GLOBAL_FLAGS: readonly FlagSpec[] = [
  s('cacert', '', 'verify certificates of TLS-enabled secure servers using this CA bundle'),
  s('cert', '', 'identify secure client using this TLS certificate file'),
  d('command-timeout', '5s', 'timeout for short running command (excluding dial timeout)'),
  b('debug', 'false', 'enable client-side debug logging'),
  d('dial-timeout', '2s', 'dial timeout for client connections'),
  s('discovery-srv', '', 'domain name to query for SRV records describing cluster endpoints', 'd'),
  s('discovery-srv-name', '', 'service name to query when using DNS discovery'),
  { name: 'endpoints', kind: 'stringSlice', defaultText: '[127.0.0.1:2379]', usage: 'gRPC endpoints' },
  b('hex', 'false', 'print byte strings as hex encoded strings'),
  b('insecure-discovery', 'true', 'accept insecure SRV records describing cluster endpoints'),
  b('insecure-skip-tls-verify', 'false',
    'skip server certificate verification (CAUTION: this option should be enabled only for testing purposes)'),
  b('insecure-transport', 'true', 'disable transport security for client connections'),
  d('keepalive-time', '2s', 'keepalive time for client connections'),
  d('keepalive-timeout', '6s', 'keepalive timeout for client connections'),
  s('key', '', 'identify secure client using this TLS key file'),
  s('password', '', "password for authentication (if this option is used, --user option shouldn't include password)"),
  s('user', '', 'username[:password] for authentication (prompt if password is not supplied)'),
  s('write-out', 'simple', 'set the output format (fields, json, protobuf, simple, table)', 'w'),
];

/** Resolved global options. */
export interface GlobalOptions {
  endpoints: string[];
  writeOut: string;
  hex: boolean;
  dialTimeoutMs: number;
  commandTimeoutMs: number;
  keepaliveTimeMs: number;
  keepaliveTimeoutMs: number;
  insecureTransport: boolean;
  insecureSkipTlsVerify: boolean;
  cacert: string;
  cert: string;
  key: string;
  user: string;
  password: string;
  debug: boolean;
}

/** The environment variable for a global flag: ETCDCTL_ + upper snake case. */
export function envNameOf(flag: string): string {
  return `ETCDCTL_${flag.toUpperCase().replaceAll('-', '_')}`;
}

/** An env var and a command-line flag both set the same option (etcd's pkg/flags refuses that). */
export class EnvConflictError extends Error {
  override readonly name = 'EnvConflictError';
}

/**
 * Applies ETCDCTL_* variables to global flags not given on the command line.
 * Throws EnvConflictError when both are set, GoParseError on an unparsable env value.
 */
export function applyEnv(values: FlagValues, env: NodeJS.ProcessEnv): void {
  for (const flag of GLOBAL_FLAGS) {
    const name = envNameOf(flag.name);
    const text = env[name];
    if (text === undefined || text === '') continue;
    if (values.changed.has(flag.name)) {
      throw new EnvConflictError(`conflicting environment variable ${goQuote(name)} is shadowed by corresponding ` +
        'command-line flag (either unset environment variable or disable flag)');
    }
    try {
      values.set(flag.name, text);
    } catch (error) {
      throw new GoParseError(`invalid value ${goQuote(text)} for ${name}: ${(error as Error).message}`);
    }
  }
}

/** Reads GlobalOptions from parsed values. Throws GoParseError on a bad value. */
export function resolveGlobals(values: FlagValues): GlobalOptions {
  return {
    endpoints: values.list('endpoints'),
    writeOut: values.string('write-out'),
    hex: values.bool('hex'),
    dialTimeoutMs: values.durationMs('dial-timeout'),
    commandTimeoutMs: values.durationMs('command-timeout'),
    keepaliveTimeMs: values.durationMs('keepalive-time'),
    keepaliveTimeoutMs: values.durationMs('keepalive-timeout'),
    insecureTransport: values.bool('insecure-transport'),
    insecureSkipTlsVerify: values.bool('insecure-skip-tls-verify'),
    cacert: values.string('cacert'),
    cert: values.string('cert'),
    key: values.string('key'),
    user: values.string('user'),
    password: values.string('password'),
    debug: values.bool('debug'),
  };
}
