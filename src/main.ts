/**
 * The single `tetcd` binary: `tetcd server`, `tetcd ctl` (= tetcdctl), `tetcd utl` (= tetcdutl),
 * `tetcd snapshot` (K3s-style snapshots), `tetcd benchmark`, `tetcd version`. bin/tetcdctl and bin/tetcdutl call main() with the subcommand
 * prepended, so every entry point shares one dispatcher.
 */
import { ETCD_SERVER_VERSION, TETCD_VERSION } from './base/version.js';

const USAGE = `Usage: tetcd <command> [flags]

Commands:
  server      run a tetcd member (etcd's flags and ETCD_* env vars)
  ctl         etcdctl-compatible client (also installed as tetcdctl)
  utl         etcdutl-compatible offline tool (also installed as tetcdutl)
  snapshot    K3s-style snapshots: save | ls | delete | prune (local and S3)
  benchmark   load generator compatible with etcd's benchmark tool
  version     print versions
`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'server': {
      // Subcommands are imported lazily: each loads only what it needs (start-up time matters).
      const { runServerCommand } = await import('./embed/server-command.js');
      return runServerCommand(rest);
    }
    case 'ctl': {
      const { runCtl } = await import('./cli/ctl/main.js');
      return runCtl(rest);
    }
    case 'utl': {
      const { runUtl } = await import('./cli/utl/main.js');
      return runUtl(rest);
    }
    case 'snapshot': {
      const { runSnapshotCommand } = await import('./ha/snapshot-command.js');
      return runSnapshotCommand(rest);
    }
    case 'benchmark': {
      const { Command } = await import('commander');
      const { registerBenchmarkCommand } = await import('./cli/benchmark/command.js');
      const program = new Command('tetcd').exitOverride();
      registerBenchmarkCommand(program);
      try {
        await program.parseAsync(['benchmark', ...rest], { from: 'user' });
        return 0;
      } catch (error) {
        return exitCodeOf(error);
      }
    }
    case 'version':
    case '--version':
      process.stdout.write(`tetcd Version: ${TETCD_VERSION}\netcd API Version: ${ETCD_SERVER_VERSION}\nNode Version: ${process.version}\n`);
      return 0;
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`Error: unknown command "${command}" for "tetcd"\n${USAGE}`);
      return 2;
  }
}

function exitCodeOf(error: unknown): number {
  const code = (error as { exitCode?: unknown }).exitCode;
  return typeof code === 'number' ? code : 1;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
