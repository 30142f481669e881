/**
 * `watch [options] [key or prefix] [range_end] [--] [exec-command arg1 arg2 ...]` and `watch -i`.
 * A watch runs until the server cancels it (then `Error: watch is canceled by the server`, exit 5);
 * a broken connection is re-established from the next revision, as clientv3 does.
 */
import { spawnSync } from 'node:child_process';
import * as pb from '../../../proto/gen/etcdserverpb.js';
import { GrpcStatus } from '../../../base/errors.js';
import { EtcdClientError } from '../../../client/index.js';
import type { EtcdClient } from '../../../client/index.js';
import type { CtlCommand, RunContext } from '../command.js';
import { connect, commandFailed } from '../connect.js';
import { CtlExit, ExitCode } from '../errors.js';
import { goQuote } from '../go-format.js';
import { prefixRangeEnd } from './kv-options.js';
import { boolFlag, intFlag } from './flags.js';
import { LineReader } from './stdin.js';
import { argify } from './txn-parse.js';
import { printWatchResponse } from './watch-print.js';

const bad = (text: string): CtlExit => new CtlExit(ExitCode.BAD_ARGS, text);
const enc = (s: string): Uint8Array => Buffer.from(s);
const EVENT_TYPES = ['PUT', 'DELETE'];
/** Wait before re-opening a watch whose connection failed. */
const RECONNECT_DELAY_MS = 500;
const ERR_BAD_ARGS_NUM = 'bad number of arguments';

interface WatchOptions { prefix: boolean; rev: number; prevKv: boolean; progressNotify: boolean }

function watchOptions(ctx: RunContext): WatchOptions {
  return { prefix: ctx.flags.bool('prefix'), rev: Number(ctx.flags.int('rev')), prevKv: ctx.flags.bool('prev-kv'),
    progressNotify: ctx.flags.bool('progress-notify') };
}

/** getWatchChan's request. Throws Error (message as etcdctl) on bad arguments. */
function createRequest(args: string[], o: WatchOptions): pb.WatchCreateRequest {
  if (args.length < 1) throw new Error(ERR_BAD_ARGS_NUM);
  const key = enc(args[0]!);
  let rangeEnd: Uint8Array = new Uint8Array(0);
  if (args.length === 2) {
    if (o.prefix) throw new Error('`range_end` and `--prefix` are mutually exclusive');
    rangeEnd = enc(args[1]!);
  }
  if (o.prefix) rangeEnd = key.length === 0 ? new Uint8Array([0]) : prefixRangeEnd(key);
  return pb.WatchCreateRequest.create({ key, rangeEnd, startRevision: o.rev, prevKv: o.prevKv,
    progressNotify: o.progressNotify });
}

function cancelReason(r: pb.WatchResponse): string {
  if (r.compactRevision !== 0) return 'etcdserver: mvcc: required revision has been compacted';
  if (r.cancelReason !== '') return r.cancelReason;
  return 'etcdserver: mvcc: required revision is a future revision';
}

function runExec(ctx: RunContext, r: pb.WatchResponse, execArgs: string[]): void {
  for (const e of r.events) {
    const kv = e.kv;
    const env = { ...process.env, ETCD_WATCH_REVISION: String(r.header?.revision ?? 0),
      ETCD_WATCH_EVENT_TYPE: `"${EVENT_TYPES[e.type] ?? e.type}"`, ETCD_WATCH_KEY: goQuote(kv?.key ?? new Uint8Array()),
      ETCD_WATCH_VALUE: goQuote(kv?.value ?? new Uint8Array()) };
    const result = spawnSync(execArgs[0]!, execArgs.slice(1), { env, stdio: 'inherit' });
    if (result.error !== undefined || result.status !== 0) {
      const why = result.error !== undefined ? result.error.message
        : result.status === null ? `signal: ${result.signal ?? 'killed'}` : `exit status ${result.status}`;
      ctx.out.stderr(`command [${execArgs.map((a) => goQuote(a)).join(' ')}] error (${why})\n`);
      process.exit(ExitCode.ERROR);
    }
  }
}

/** Streams one watch until the server cancels it; re-opens after connection failures. */
async function watchLoop(ctx: RunContext, client: EtcdClient, request: pb.WatchCreateRequest,
  execArgs: string[]): Promise<void> {
  let next = request;
  for (;;) {
    const stream = await client.watch({ requireLeader: true });
    stream.send({ createRequest: next });
    try {
      for await (const r of stream) {
        if (r.created && !r.canceled && r.events.length === 0) continue;
        if (r.canceled) ctx.out.stderr(`watch was canceled (${cancelReason(r)})\n`);
        const progress = r.events.length === 0 && !r.canceled && !r.created && r.compactRevision === 0 &&
          (r.header?.revision ?? 0) !== 0;
        if (progress) ctx.out.stdout(`progress notify: ${r.header?.revision ?? 0}\n`);
        printWatchResponse(ctx, r);
        if (execArgs.length > 0) runExec(ctx, r, execArgs);
        const last = r.events.at(-1)?.kv?.modRevision;
        if (last !== undefined) next = { ...next, startRevision: last + 1 };
        if (r.canceled) return;
      }
      return;
    } catch (error) {
      if (!(error instanceof EtcdClientError) || error.grpcCode !== GrpcStatus.UNAVAILABLE) throw error;
      await new Promise((resolve) => setTimeout(resolve, RECONNECT_DELAY_MS));
    } finally {
      stream.cancel();
    }
  }
}

/** Splits positional args at `--` into watch args and the exec command. Throws CtlExit (bad args). */
function splitExec(ctx: RunContext, args: string[], envKey: string): [string[], string[]] {
  const dash = ctx.argsLenAtDash ?? -1;
  if (dash >= 0 && dash === args.length) throw bad('bad number of arguments (found separator --, but no commands)');
  const watchArgs = dash >= 0 ? args.slice(0, dash) : args;
  const execArgs = dash >= 0 ? args.slice(dash) : [];
  if (envKey !== '' && watchArgs.length > 0) throw bad('bad number of arguments (found conflicting environment key)');
  if (dash < 0 && args.length < 1 && envKey === '') throw bad(ERR_BAD_ARGS_NUM);
  return [watchArgs, execArgs];
}

function envWatchArgs(watchArgs: string[]): string[] {
  const envKey = process.env['ETCDCTL_WATCH_KEY'] ?? '';
  const envRange = process.env['ETCDCTL_WATCH_RANGE_END'] ?? '';
  if (envKey === '') return watchArgs;
  return envRange === '' ? [envKey] : [envKey, envRange];
}

async function runInteractive(ctx: RunContext, client: EtcdClient): Promise<number> {
  const reader = new LineReader();
  for (;;) {
    const raw = await reader.readLine();
    if (raw === null) {
      // etcdctl exits at the end of its input even while watches are open.
      ctx.out.stderr('Error: Error reading watch request line: EOF\n');
      process.exit(ExitCode.INVALID_INPUT);
    }
    const line = raw.replace(/\n$/, '');
    const request = interactiveRequest(ctx, line);
    if (request === undefined) continue;
    void watchLoop(ctx, client, request.watch, request.execArgs).catch(() => undefined);
  }
}

/** Parses one `watch [options] <key> [range_end] [--] [exec-command ...]` line; undefined after an error line. */
function interactiveRequest(ctx: RunContext, line: string):
  { watch: pb.WatchCreateRequest; execArgs: string[] } | undefined {
  const words = argify(line);
  if (words[0] !== 'watch') {
    ctx.out.stderr(`Invalid command ${line} (only support watch)\n`);
    return undefined;
  }
  if (words.length < 2) {
    ctx.out.stderr(`Invalid command ${line} (command type or key is not provided)\n`);
    return undefined;
  }
  const dash = words.indexOf('--');
  const watchWords = dash >= 0 ? words.slice(1, dash) : words.slice(1);
  const execArgs = dash >= 0 ? words.slice(dash + 1) : [];
  if (dash >= 0 && execArgs.length === 0) {
    ctx.out.stderr(`Invalid command ${line} (bad number of arguments (found separator --, but no commands))\n`);
    return undefined;
  }
  const o: WatchOptions = { prefix: false, rev: 0, prevKv: false, progressNotify: false };
  const rest: string[] = [];
  for (let i = 0; i < watchWords.length; i++) {
    const w = watchWords[i]!;
    if (w === '--prefix') o.prefix = true;
    else if (w === '--prev-kv') o.prevKv = true;
    else if (w.startsWith('--rev=')) o.rev = Number(w.slice(6));
    else if (w === '--rev' && i + 1 < watchWords.length) o.rev = Number(watchWords[++i]);
    else rest.push(w);
  }
  try {
    return { watch: createRequest(rest, o), execArgs };
  } catch (error) {
    ctx.out.stderr(`Invalid command ${line} (${(error as Error).message})\n`);
    return undefined;
  }
}

async function runWatch(ctx: RunContext, args: string[]): Promise<number> {
  const interactive = ctx.flags.bool('interactive');
  let request: pb.WatchCreateRequest | undefined;
  let execArgs: string[] = [];
  if (!interactive) {
    const [watchArgs, exec] = splitExec(ctx, args, process.env['ETCDCTL_WATCH_KEY'] ?? '');
    execArgs = exec;
    try {
      request = createRequest(envWatchArgs(watchArgs), watchOptions(ctx));
    } catch (error) {
      throw bad((error as Error).message);
    }
  }
  const client = await connect(ctx.globals).catch((e: unknown) => { throw commandFailed(e); });
  try {
    if (request === undefined) return await runInteractive(ctx, client);
    await watchLoop(ctx, client, request, execArgs).catch((e: unknown) => { throw commandFailed(e); });
    throw new CtlExit(ExitCode.INTERRUPTED, 'watch is canceled by the server');
  } finally {
    client.close();
  }
}

/** The watch command. */
export function watchCommand(): CtlCommand {
  return { name: 'watch', use: 'watch [options] [key or prefix] [range_end] [--] [exec-command arg1 arg2 ...]',
    short: 'Watches events stream on keys or prefixes', run: runWatch,
    flags: [boolFlag('interactive', 'Interactive mode', 'i'),
      boolFlag('prefix', 'Watch on a prefix if prefix is set'),
      boolFlag('prev-kv', 'get the previous key-value pair before the event happens'),
      { ...boolFlag('progress-notify', 'get periodic watch progress notification from server'), hidden: true },
      { ...intFlag('rev', 'Revision to start watching'), defaultText: '0' }] };
}
