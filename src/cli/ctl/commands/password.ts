/**
 * Password input the way etcdctl reads it: `--interactive` prompts (`Password of <user>: `, then a
 * confirmation) without echo on a terminal; `--interactive=false` reads the first whitespace-separated
 * word of stdin (Go's fmt.Scanf("%s")).
 */
import type { RunContext } from '../command.js';
import { CtlExit, ExitCode } from '../errors.js';
import { readSecret } from '../prompt.js';
import { LineReader } from './stdin.js';

/**
 * Prompts for the password of `name` (twice when `confirm`) on the terminal without echo (see
 * ../prompt.ts). Throws CtlExit(BAD_ARGS) on an empty password or a mismatch, as etcdctl's
 * readPasswordInteractive.
 */
export async function readPassword(ctx: RunContext, name: string, confirm: boolean): Promise<string> {
  const write = (text: string): void => { ctx.out.stdout(text); };
  const first = await readSecret(`Password of ${name}: `, write);
  if (first === '') throw new CtlExit(ExitCode.BAD_ARGS, 'empty password');
  if (!confirm) return first;
  const second = await readSecret(`Type password of ${name} again for confirmation: `, write);
  if (first !== second) throw new CtlExit(ExitCode.BAD_ARGS, 'given passwords are different');
  return first;
}

/** The first whitespace-separated word of stdin ('' when there is none). */
export async function scanWord(): Promise<string> {
  const reader = new LineReader();
  try {
    const line = (await reader.readLine()) ?? '';
    return line.trim().split(/\s+/)[0] ?? '';
  } finally {
    await reader.close();
  }
}
