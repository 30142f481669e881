/**
 * Secret prompts as etcdctl reads them (bgentry/speakeasy): the prompt goes to stdout, terminal echo
 * is turned off with `stty -echo` on stdin (the terminal stays in line mode, so editing keys work),
 * one line is read from stdin, echo is restored and a newline is written. When stdin is not a
 * terminal the line is read the same way without touching echo. Used for `--user NAME` without a
 * password (`Password: `) and by the `--interactive` password prompts.
 */
import { spawnSync } from 'node:child_process';
import type { GlobalOptions } from './global-flags.js';

/** Where the prompt is written. */
export type PromptWrite = (text: string) => void;

const writeStdout: PromptWrite = (text) => { process.stdout.write(text); };

function setEcho(on: boolean): void {
  spawnSync('stty', [on ? 'echo' : '-echo'], { stdio: ['inherit', 'ignore', 'ignore'] });
}

/** Reads up to the first '\n' (or the end of input) from `input`, consuming no further data events. */
export function readLineFrom(input: NodeJS.ReadableStream): Promise<string> {
  const stream = input as NodeJS.ReadableStream & { readableEnded?: boolean; destroyed?: boolean };
  if (stream.readableEnded === true || stream.destroyed === true) return Promise.resolve('');
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const finish = (text: string): void => {
      input.off('data', onData);
      input.off('end', onEnd);
      input.off('error', onError);
      input.pause();
      resolve(text.replace(/\r$/, ''));
    };
    const onData = (chunk: Buffer | string): void => {
      const buffer = Buffer.from(chunk);
      const newline = buffer.indexOf(0x0a);
      if (newline < 0) {
        chunks.push(buffer);
        return;
      }
      chunks.push(buffer.subarray(0, newline));
      const rest = buffer.subarray(newline + 1);
      if (rest.length > 0) input.unshift(rest);
      finish(Buffer.concat(chunks).toString('utf8'));
    };
    const onEnd = (): void => { finish(Buffer.concat(chunks).toString('utf8')); };
    const onError = (error: Error): void => { reject(error); };
    input.on('data', onData);
    input.on('end', onEnd);
    input.on('error', onError);
    input.resume();
  });
}

/**
 * Writes `prompt`, reads one line with echo off (when stdin is a terminal) and writes a newline.
 * An interrupt (Ctrl-C) while reading restores echo before the process ends. Rejects on a read error.
 */
export async function readSecret(prompt: string, write: PromptWrite = writeStdout): Promise<string> {
  write(prompt);
  const tty = process.stdin.isTTY === true;
  const onInterrupt = (): void => {
    setEcho(true);
    write('\n');
    process.exit(130);
  };
  if (tty) {
    setEcho(false);
    process.once('SIGINT', onInterrupt);
  }
  try {
    return await readLineFrom(process.stdin);
  } finally {
    if (tty) {
      process.off('SIGINT', onInterrupt);
      setEcho(true);
    }
    write('\n');
  }
}

const prompted = new WeakMap<GlobalOptions, Promise<{ name: string; password: string }>>();

/**
 * For `--user NAME` without `:password` and without `--password`: asks `Password: ` once per
 * invocation (etcdctl reads it from the terminal) and returns the credentials; undefined otherwise.
 */
export async function promptedCredentials(globals: GlobalOptions, write: PromptWrite = writeStdout):
  Promise<{ name: string; password: string } | undefined> {
  if (globals.user === '' || globals.password !== '' || globals.user.includes(':')) return undefined;
  let creds = prompted.get(globals);
  if (creds === undefined) {
    const name = globals.user;
    creds = readSecret('Password: ', write).then((password) => ({ name, password }));
    prompted.set(globals, creds);
  }
  return creds;
}
