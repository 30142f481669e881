/**
 * `tetcd server [etcd flags]`: parses etcd's flags and ETCD_* env vars, starts a member and serves until
 * SIGTERM/SIGINT (clean shutdown: stop accepting, finish the Ready loop, flush the backend, close the WAL).
 * Bad flags print one line and exit 2 (as etcd's flag package does); start-up failures exit 1.
 */
import { buildServerConfig } from './config.js';
import { startEtcd } from './etcd.js';
import { FlagError, parseServerFlags } from './flag-parser.js';
import { loadConfigFile } from './config-file.js';
import { SERVER_FLAGS } from './flag-spec.js';
import { createLogger } from '../platform/logger.js';
import { CorruptionError } from '../base/errors.js';
import { joinRepeatedTlsSans, prepareK3sHa } from './k3s-ha.js';
import { ClusterResetFlagError, type ClusterResetRequest } from '../ha/cluster-reset-flags.js';
import { clearResetFlagOnStart, clusterResetOf, runClusterReset } from './k3s-reset.js';

export async function runServerCommand(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h') || argv.includes('-help')) {
    process.stdout.write(serverUsage());
    return 0;
  }
  let config;
  let warnings: string[];
  let reset: ClusterResetRequest;
  try {
    let flags = parseServerFlags(joinRepeatedTlsSans(argv), process.env);
    const configFile = flags.values.get('config-file') ?? '';
    if (configFile !== '') {
      // As etcd: with a config file, the other flags and ETCD_* variables are ignored.
      flags = loadConfigFile(configFile);
      flags.warnings.push(`loaded server configuration from ${configFile}; other command line flags and environment variables are ignored`);
    }
    warnings = flags.warnings;
    // K3s HA (--cluster-init / --server): creates or fetches the PKI and rewrites URL/TLS/cluster flags.
    if (await prepareK3sHa(flags, process.env) === 'refused') return 1;
    config = buildServerConfig(flags);
    reset = clusterResetOf(config);
    for (const spec of SERVER_FLAGS) {
      if (spec.effect === 'accepted' && flags.explicit.has(spec.name) && flags.values.get(spec.name) !== spec.default) {
        warnings.push(`--${spec.name} is accepted for compatibility but has no effect in this tetcd version (see docs/compatibility.md)`);
      }
    }
  } catch (error) {
    if (error instanceof FlagError || error instanceof ClusterResetFlagError) {
      process.stderr.write(`${error.message}\nRun 'tetcd server --help' for usage.\n`);
      return 2;
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  for (const warning of warnings) logger.warn(warning);
  // --cluster-reset[-restore-path]: reset on loopback listeners, print what to do next, exit.
  if (reset.kind !== 'none') return runClusterReset(config, reset, startEtcd, logger);
  let member;
  try {
    await clearResetFlagOnStart(config, logger);
    member = await startEtcd(config, logger);
  } catch (error) {
    const detail = error instanceof CorruptionError ? { file: error.file, offset: error.offset } : {};
    logger.fatal({ ...detail, error: error instanceof Error ? error.message : String(error) }, 'failed to start tetcd');
    return 1;
  }
  return await new Promise<number>((resolve) => {
    const shutdown = (signal: string): void => {
      logger.info({ signal }, 'received signal; shutting down');
      member.close().then(() => resolve(0), () => resolve(1));
    };
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    process.once('SIGINT', () => shutdown('SIGINT'));
    // A member that stops on its own (removed from the cluster, fatal storage error) ends the process.
    member.server.onStop((error) => {
      void member.close().finally(() => resolve(error === undefined ? 0 : 1));
    });
  });
}

function serverUsage(): string {
  const lines = ['Usage:', '', '  tetcd server [flags]', '    Start a tetcd member (flags and ETCD_* env vars as etcd).', '', 'Flags:'];
  for (const spec of SERVER_FLAGS.filter((s) => s.hidden !== true)) {
    const def = spec.default === '' ? '' : ` (default ${JSON.stringify(spec.default)})`;
    lines.push(`  --${spec.name}`, `      ${spec.help}${def}`);
  }
  return `${lines.join('\n')}\n`;
}
