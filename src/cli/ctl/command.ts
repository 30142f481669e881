/** The command tree shape shared by the dispatcher, the help printer and the command modules. */
import type { FlagSpec, FlagValues } from './flag-parser.js';
import type { Printer } from './printers/printer.js';
import type { GlobalOptions } from './global-flags.js';

/** What a running command gets. */
export interface RunContext {
  /** Global options after flags and ETCDCTL_* env vars are applied. */
  globals: GlobalOptions;
  /** Local (and inherited persistent) flag values of the command. */
  flags: FlagValues;
  printer: Printer;
  out: Output;
  /** Number of positional arguments before `--` (cobra's ArgsLenAtDash), -1 without `--`. */
  argsLenAtDash?: number;
}

/** Where commands write. Collected by runCtl and flushed to process.stdout/stderr. */
export interface Output {
  stdout(text: string | Uint8Array): void;
  stderr(text: string): void;
}

/** One node of the etcdctl command tree. */
export interface CtlCommand {
  /** First word of `use`. */
  name: string;
  /** Cobra's Use line, e.g. `get [options] <key> [range_end]`. */
  use: string;
  short: string;
  long?: string;
  /** Local flags (help is added automatically). */
  flags?: FlagSpec[];
  /** Flags inherited by subcommands (e.g. `endpoint --cluster`). */
  persistentFlags?: FlagSpec[];
  children?: CtlCommand[];
  /** Absent for pure groups (`member`, `lease`): running them prints help. Resolves to an exit code. */
  run?: (ctx: RunContext, args: string[]) => Promise<number>;
  parent?: CtlCommand;
  /** Other names the command answers to (cobra Aliases, e.g. `compact` for `compaction`). */
  aliases?: string[];
  /** Not listed in help (tetcdctl's commands beyond etcdctl, so help stays byte-identical). */
  hidden?: boolean;
}

/** Cobra's CommandPath: names from the root down, joined by spaces. */
export function commandPath(cmd: CtlCommand): string {
  return cmd.parent === undefined ? cmd.name : `${commandPath(cmd.parent)} ${cmd.name}`;
}

/** Sets `parent` links below `root` (call once after building the tree). */
export function linkParents(root: CtlCommand): CtlCommand {
  for (const child of root.children ?? []) {
    child.parent = root;
    linkParents(child);
  }
  return root;
}
