/**
 * Parses Go-`flag`-style arguments as etcd accepts them: `--name value`, `--name=value`, `-name value`,
 * `-name=value`, and bare booleans (`--flag`, `--flag=false`). Values come from, in priority order,
 * the command line, then ETCD_* environment variables, then defaults. Errors use Go flag's wording.
 */
import { SERVER_FLAG_BY_NAME, SERVER_FLAGS, envVarName, type FlagSpec } from './flag-spec.js';

export class FlagError extends Error {
  override readonly name = 'FlagError';
  readonly code = 'ERR_BAD_FLAG';
}

export interface ParsedFlags {
  /** Raw string value of every known flag (explicit, env or default). */
  values: Map<string, string>;
  /** Flags set on the command line or by env var (not defaults). */
  explicit: Set<string>;
  /** Positional arguments (etcd accepts none). */
  positional: string[];
  warnings: string[];
}

const BOOL_WORDS = new Map([['true', 'true'], ['1', 'true'], ['t', 'true'], ['T', 'true'], ['TRUE', 'true'],
  ['True', 'true'], ['false', 'false'], ['0', 'false'], ['f', 'false'], ['F', 'false'], ['FALSE', 'false'],
  ['False', 'false']]);

/** Parses argv (without the program and subcommand words) and env. Throws FlagError. */
export function parseServerFlags(argv: readonly string[], env: NodeJS.ProcessEnv): ParsedFlags {
  const values = new Map<string, string>();
  const explicit = new Set<string>();
  const warnings: string[] = [];
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') { positional.push(...argv.slice(i + 1)); break; }
    if (!arg.startsWith('-') || arg === '-') { positional.push(arg); continue; }
    const body = arg.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const name = eq === -1 ? body : body.slice(0, eq);
    const spec = SERVER_FLAG_BY_NAME.get(name);
    if (spec === undefined) throw new FlagError(`flag provided but not defined: -${name}`);
    let raw: string;
    if (eq !== -1) raw = body.slice(eq + 1);
    else if (spec.kind === 'bool') raw = 'true';
    else {
      const next = argv[i + 1];
      if (next === undefined) throw new FlagError(`flag needs an argument: -${name}`);
      raw = next;
      i++;
    }
    values.set(name, validateFlagValue(spec, raw, `-${name}`));
    explicit.add(name);
  }
  applyEnv(env, values, explicit, warnings);
  for (const spec of SERVER_FLAGS) if (!values.has(spec.name)) values.set(spec.name, spec.default);
  return { values, explicit, positional, warnings };
}

function applyEnv(env: NodeJS.ProcessEnv, values: Map<string, string>, explicit: Set<string>,
  warnings: string[]): void {
  const known = new Map(SERVER_FLAGS.map((s) => [envVarName(s.name), s]));
  for (const [key, raw] of Object.entries(env)) {
    if (!key.startsWith('ETCD_') || raw === undefined) continue;
    const spec = known.get(key);
    if (spec === undefined) {
      // etcd's own process-wide variables are not flags.
      if (!['ETCD_UNSUPPORTED_ARCH', 'ETCD_FAILPOINTS', 'ETCD_VERIFY'].includes(key)) {
        warnings.push(`unrecognized environment variable ${key}=${raw}`);
      }
      continue;
    }
    if (explicit.has(spec.name)) {
      warnings.push(`recognized environment variable ${key}, but unused: shadowed by corresponding flag`);
      continue;
    }
    values.set(spec.name, validateFlagValue(spec, raw, key));
    explicit.add(spec.name);
  }
}

/** Validates one raw value for its kind and returns it normalised. Throws FlagError. */
export function validateFlagValue(spec: FlagSpec, raw: string, source: string): string {
  switch (spec.kind) {
    case 'string': return raw;
    case 'bool': {
      const normal = BOOL_WORDS.get(raw);
      if (normal === undefined) throw new FlagError(`invalid boolean value "${raw}" for ${source}: parse error`);
      return normal;
    }
    case 'int':
      if (!/^-?\d+$/.test(raw) || !Number.isSafeInteger(Number(raw))) {
        throw new FlagError(`invalid value "${raw}" for flag ${source}: parse error`);
      }
      return raw;
    case 'duration':
      parseDurationMs(raw, source);
      return raw;
    case 'urls':
      if (raw !== '') parseUrlList(raw, source);
      return raw;
  }
}

/** Parses a Go duration ("100ms", "5s", "2h", "1h30m"). Throws FlagError. */
export function parseDurationMs(raw: string, source: string): number {
  if (raw === '0') return 0;
  const unitMs: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const parts = [...raw.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)];
  const joined = parts.map((p) => p[0]).join('');
  if (parts.length === 0 || joined !== raw) {
    throw new FlagError(`invalid value "${raw}" for flag ${source}: parse error`);
  }
  return parts.reduce((total, p) => total + Number(p[1]) * unitMs[p[2]!]!, 0);
}

/** Parses a comma-separated URL list ("http://127.0.0.1:2379,http://..."). Throws FlagError. */
export function parseUrlList(raw: string, source: string): URL[] {
  return raw.split(',').map((text) => {
    let url: URL;
    try { url = new URL(text.trim()); } catch {
      throw new FlagError(`invalid value "${raw}" for flag ${source}: URL address does not have the form "host:port": ${text}`);
    }
    if (!['http:', 'https:', 'unix:', 'unixs:'].includes(url.protocol)) {
      throw new FlagError(`invalid value "${raw}" for flag ${source}: URL scheme must be http, https, unix, or unixs: ${text}`);
    }
    if (url.protocol.startsWith('http') && url.port === '') {
      throw new FlagError(`invalid value "${raw}" for flag ${source}: URL address does not have the form "host:port": ${text}`);
    }
    return url;
  });
}
