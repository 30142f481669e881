/**
 * `completion bash|zsh`: prints a completion script for tetcdctl built from the command tree (see
 * completion-script.ts). etcdctl 3.4.23 has the same command (cobra's scripts, which call back into
 * the binary); tetcdctl's scripts are self-contained tables instead. `fish` and `powershell` stay
 * placeholders (exit 4).
 */
import type { CtlCommand, RunContext } from '../command.js';
import { CtlExit, ExitCode } from '../errors.js';
import { bashCompletionScript, COMPLETION_PROGRAM, zshCompletionScript } from './completion-script.js';
import { boolFlag } from './flags.js';

function rootOf(cmd: CtlCommand): CtlCommand {
  let root = cmd;
  while (root.parent !== undefined) root = root.parent;
  return root;
}

function scriptCommand(shell: 'bash' | 'zsh', render: (root: CtlCommand) => string, long: string): CtlCommand {
  const cmd: CtlCommand = { name: shell, use: shell, short: `Generate the autocompletion script for ${shell}`, long,
    flags: [boolFlag('no-descriptions', 'disable completion descriptions')],
    run: (ctx: RunContext, args: string[]) => {
      if (args.length > 0) {
        throw new CtlExit(ExitCode.ERROR, `unknown command "${args[0]!}" for "etcdctl completion ${shell}"`);
      }
      ctx.out.stdout(render(rootOf(cmd)));
      return Promise.resolve(ExitCode.SUCCESS);
    } };
  return cmd;
}

const BASH_LONG = `Print a bash completion script for ${COMPLETION_PROGRAM} (bash 4 or later).

Current shell:   source <(${COMPLETION_PROGRAM} completion bash)
Every new shell: ${COMPLETION_PROGRAM} completion bash > /etc/bash_completion.d/${COMPLETION_PROGRAM}`;

const ZSH_LONG = `Print a zsh completion script for ${COMPLETION_PROGRAM} (it loads the bash one through bashcompinit).

Current shell:   source <(${COMPLETION_PROGRAM} completion zsh)`;

/** The `completion` group with `bash` and `zsh`. */
export function completionCommand(): CtlCommand {
  return { name: 'completion', use: 'completion', short: 'Generate the autocompletion script for the specified shell',
    long: `Generate the autocompletion script for ${COMPLETION_PROGRAM} for the specified shell.`,
    children: [scriptCommand('bash', bashCompletionScript, BASH_LONG),
      scriptCommand('zsh', zshCompletionScript, ZSH_LONG)] };
}
