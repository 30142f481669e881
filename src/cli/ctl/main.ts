/**
 * tetcdctl: an etcdctl 3.4-compatible command line client. `runCtl(argv)` parses like cobra/pflag
 * (flags anywhere, ETCDCTL_* env vars for global flags), runs the command and resolves with the
 * process exit code; output goes to process.stdout / process.stderr.
 */
import { commandPath } from './command.js';
import type { CtlCommand, Output, RunContext } from './command.js';
import { CtlExit, ExitCode } from './errors.js';
import { FlagError, parseFlags } from './flag-parser.js';
import type { FlagSpec } from './flag-parser.js';
import { applyEnv, EnvConflictError, resolveGlobals } from './global-flags.js';
import { GoParseError } from './go-format.js';
import { inheritedFlags, localFlags, usageText } from './help.js';
import { newPrinter } from './printers/index.js';
import type { Printer } from './printers/index.js';
import { buildCommandTree } from './registry.js';
import { suggestionsFor } from './suggest.js';

const processOutput: Output = {
  stdout: (text) => { process.stdout.write(text); },
  stderr: (text) => { process.stderr.write(text); },
};

function allFlags(cmd: CtlCommand): FlagSpec[] {
  return [...localFlags(cmd), ...inheritedFlags(cmd)];
}

/** cobra's stripFlags: the non-flag words of `args` (unknown flags are assumed to take a value). */
function stripFlags(args: readonly string[], flags: readonly FlagSpec[]): string[] {
  const words: string[] = [];
  const noValue = (name: string, short: boolean): boolean =>
    flags.some((f) => (short ? f.short === name : f.name === name) && f.kind === 'bool');
  for (let i = 0; i < args.length; i++) {
    const s = args[i]!;
    if (s === '--') break;
    const longWithValue = s.startsWith('--') && !s.includes('=') && !noValue(s.slice(2), false);
    const shortWithValue = s.startsWith('-') && !s.includes('=') && s.length === 2 && !noValue(s.slice(1), true);
    if (longWithValue || shortWithValue) {
      if (args.length - i - 1 <= 1) break;
      i++;
    } else if (s !== '' && !s.startsWith('-')) words.push(s);
  }
  return words;
}

/** cobra's Find: walks subcommand names, removing each from the argument list. */
function findCommand(root: CtlCommand, argv: readonly string[]): { cmd: CtlCommand; args: string[] } {
  let cmd = root;
  const args = [...argv];
  for (;;) {
    const words = stripFlags(args, allFlags(cmd));
    const word = words[0];
    const next = word === undefined ? undefined
      : cmd.children?.find((c) => c.name === word || (c.aliases ?? []).includes(word));
    if (next === undefined) return { cmd, args };
    args.splice(args.indexOf(word!), 1);
    cmd = next;
  }
}

function capnslogTime(now: Date): string {
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${now.getFullYear()}-${p(now.getMonth() + 1)}-${p(now.getDate())} ${p(now.getHours())}:${p(now.getMinutes())}:` +
    `${p(now.getSeconds())}.${p(now.getMilliseconds() * 1000, 6)}`;
}

async function execute(root: CtlCommand, argv: readonly string[], out: Output): Promise<number> {
  const { cmd, args } = findCommand(root, argv);
  if (cmd === root && (root.children ?? []).length > 0) {
    const words = stripFlags(args, allFlags(cmd));
    if (words.length > 0) {
      const message = `unknown command "${words[0]!}" for "${commandPath(root)}"${suggestionsFor(root, words[0]!)}`;
      out.stderr(`Error: ${message}\nRun '${commandPath(root)} --help' for usage.\n`);
      throw new CtlExit(ExitCode.ERROR, message);
    }
  }
  let parsed;
  try {
    parsed = parseFlags(args, allFlags(cmd));
  } catch (error) {
    if (!(error instanceof FlagError)) throw error;
    out.stdout(usageText(cmd));
    out.stderr(`Error: ${error.message}\n\n`);
    throw new CtlExit(ExitCode.ERROR, error.message);
  }
  const { positional, values, argsLenAtDash } = parsed;
  if (values.bool('help') || cmd.run === undefined) {
    out.stdout(usageText(cmd));
    return ExitCode.SUCCESS;
  }
  try {
    applyEnv(values, process.env);
  } catch (error) {
    if (!(error instanceof EnvConflictError || error instanceof GoParseError)) throw error;
    out.stderr(`${capnslogTime(new Date())} C | pkg/flags: ${error.message}\n`);
    return ExitCode.ERROR;
  }
  const globals = resolveGlobals(values);
  let printer: Printer | undefined;
  const ctx: RunContext = {
    globals, flags: values, out, argsLenAtDash,
    get printer(): Printer {
      printer ??= newPrinter(globals.writeOut, globals.hex, out);
      return printer;
    },
  };
  if (cmd.parent !== undefined && cmd.name !== 'version' && cmd.name !== 'help') void ctx.printer;
  return cmd.run(ctx, positional);
}

/**
 * grpc-js passes an IP address as the TLS server name, which makes Node print DEP0123 on stderr;
 * etcdctl prints nothing there, so that one warning is dropped (every other warning still shows).
 */
function quietTlsServernameWarning(): void {
  const emit = process.emitWarning.bind(process);
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const code = typeof rest[0] === 'object' && rest[0] !== null ? (rest[0] as { code?: string }).code : rest[1];
    if (code === 'DEP0123') return;
    (emit as (w: string | Error, ...r: unknown[]) => void)(warning, ...rest);
  }) as typeof process.emitWarning;
}

/**
 * Runs one tetcdctl invocation (`argv` without the program name). Resolves with the exit code;
 * never rejects (unexpected errors print `Error: ...` and give 1).
 */
export async function runCtl(argv: string[], out: Output = processOutput): Promise<number> {
  quietTlsServernameWarning();
  const root = buildCommandTree();
  try {
    return await execute(root, argv, out);
  } catch (error) {
    if (error instanceof CtlExit) {
      if (error.text !== null) out.stderr(`Error: ${error.text}\n`);
      return error.code;
    }
    out.stderr(`Error: ${error instanceof Error ? error.message : String(error)}\n`);
    return ExitCode.ERROR;
  }
}
