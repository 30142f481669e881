/**
 * etcdctl's exit codes and the error that carries one up to runCtl, which prints `Error: <message>`
 * to stderr (unless already printed) and returns the code.
 */

/** etcdctl's exit codes (ctlv3/command/error.go). */
export const ExitCode = {
  SUCCESS: 0,
  ERROR: 1,
  BAD_CONNECTION: 2,
  INVALID_INPUT: 3,
  BAD_FEATURE: 4,
  INTERRUPTED: 5,
  IO: 6,
  BAD_ARGS: 128,
} as const;

/** Ends the command with `code`; `message` (when not null) is printed as `Error: <message>`. */
export class CtlExit extends Error {
  override readonly name = 'CtlExit';
  constructor(readonly code: number, readonly text: string | null) {
    super(text ?? `exit ${code}`);
  }
}

/** Shorthand: `throw exitWith(ExitCode.BAD_ARGS, 'get command needs ...')`. */
export function exitWith(code: number, text: string | null): CtlExit {
  return new CtlExit(code, text);
}
