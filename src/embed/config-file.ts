/**
 * --config-file: a YAML file whose keys are etcd's flag names (nested `client-transport-security` and
 * `peer-transport-security` sections map to the TLS flags). As in etcd, when a config file is given the
 * other command-line flags and ETCD_* variables are ignored.
 */
import { readFileSync } from 'node:fs';
import { FlagError, validateFlagValue, type ParsedFlags } from './flag-parser.js';
import { SERVER_FLAG_BY_NAME, SERVER_FLAGS } from './flag-spec.js';
import { parseYamlSubset, YamlError, type YamlValue } from './yaml-subset.js';

const CLIENT_TLS: Record<string, string> = {
  'cert-file': 'cert-file', 'key-file': 'key-file', 'client-cert-auth': 'client-cert-auth',
  'trusted-ca-file': 'trusted-ca-file', 'auto-tls': 'auto-tls', 'crl-file': 'client-crl-file',
  'allowed-hostname': 'client-cert-allowed-hostname',
};
const PEER_TLS: Record<string, string> = {
  'cert-file': 'peer-cert-file', 'key-file': 'peer-key-file', 'client-cert-auth': 'peer-client-cert-auth',
  'trusted-ca-file': 'peer-trusted-ca-file', 'auto-tls': 'peer-auto-tls', 'crl-file': 'peer-crl-file',
  'allowed-cn': 'peer-cert-allowed-cn', 'allowed-hostname': 'peer-cert-allowed-hostname',
};
/** Keys etcd's YAML config spells differently from its flags. */
const RENAMED: Record<string, string> = { 'enable-pprof': 'enable-pprof', 'log-output': 'log-outputs' };

/** Parses the file into flag values (defaults for the rest). Throws FlagError naming the file. */
export function loadConfigFile(path: string): ParsedFlags {
  let document: { [key: string]: YamlValue };
  try {
    document = parseYamlSubset(readFileSync(path, 'utf8'));
  } catch (error) {
    const detail = error instanceof YamlError ? error.message : (error as Error).message;
    throw new FlagError(`cannot load config file ${path}: ${detail}`);
  }
  const values = new Map<string, string>();
  const explicit = new Set<string>();
  const set = (flag: string, value: YamlValue, where: string): void => {
    const spec = SERVER_FLAG_BY_NAME.get(flag);
    if (spec === undefined) throw new FlagError(`config file ${path}: unknown setting "${where}"`);
    values.set(flag, validateFlagValue(spec, toFlagText(value), `${where} in ${path}`));
    explicit.add(flag);
  };
  for (const [key, value] of Object.entries(document)) {
    if (key === 'client-transport-security' || key === 'peer-transport-security') {
      const table = key === 'client-transport-security' ? CLIENT_TLS : PEER_TLS;
      if (value === null) continue;
      if (typeof value !== 'object' || Array.isArray(value)) throw new FlagError(`config file ${path}: ${key} must be a map`);
      for (const [inner, innerValue] of Object.entries(value)) {
        const flag = table[inner];
        if (flag === undefined) throw new FlagError(`config file ${path}: unknown setting "${key}.${inner}"`);
        set(flag, innerValue, `${key}.${inner}`);
      }
      continue;
    }
    if (key === 'config-file') throw new FlagError(`config file ${path}: config-file cannot be set inside a config file`);
    set(RENAMED[key] ?? key, value, key);
  }
  for (const spec of SERVER_FLAGS) if (!values.has(spec.name)) values.set(spec.name, spec.default);
  return { values, explicit, positional: [], warnings: [] };
}

function toFlagText(value: YamlValue): string {
  if (value === null) return '';
  if (Array.isArray(value)) return value.map((v) => toFlagText(v)).join(',');
  if (typeof value === 'object') throw new FlagError('nested maps are only allowed for the transport-security sections');
  return String(value);
}
