/**
 * Password input the way etcdctl reads it: `--interactive` prompts (`Password of <user>: `, then a
 * confirmation) without echo on a terminal; `--interactive=false` reads the first whitespace-separated
 * word of stdin (Go's fmt.Scanf("%s")).
 */
import type { RunContext } from '../command.js';
import { CtlExit, ExitCode } from '../errors.js';
import { LineReader } from './stdin.js';

/** Reads one line from stdin without echo when stdin is a terminal. Resolves '' at EOF. */
async function readSecretLine(reader: LineReader): Promise<string> {
  const tty = process.stdin.isTTY;
  if (tty) process.stdin.setRawMode(true);
  try {
    if (!tty) return ((await reader.readLine()) ?? '').replace(/\r?\n$/, '');
    let text = '';
    for (;;) {
      const chunk = await reader.readLine();
      if (chunk === null) return text;
      text += chunk;
      const end = text.search(/[\r\n]/);
      if (end >= 0) return text.slice(0, end);
    }
  } finally {
    if (tty) process.stdin.setRawMode(false);
  }
}

/**
 * Prompts for the password of `name` (twice when `confirm`). Throws CtlExit(BAD_ARGS) on an empty
 * password or a mismatch, as etcdctl's readPasswordInteractive.
 */
export async function readPassword(ctx: RunContext, name: string, confirm: boolean): Promise<string> {
  const reader = new LineReader();
  try {
    ctx.out.stdout(`Password of ${name}: `);
    const first = await readSecretLine(reader);
    ctx.out.stdout('\n');
    if (first === '') throw new CtlExit(ExitCode.BAD_ARGS, 'empty password');
    if (!confirm) return first;
    ctx.out.stdout(`Type password of ${name} again for confirmation: `);
    const second = await readSecretLine(reader);
    ctx.out.stdout('\n');
    if (first !== second) throw new CtlExit(ExitCode.BAD_ARGS, 'given passwords are different');
    return first;
  } finally {
    await reader.close();
  }
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
