/**
 * `make-mirror [options] <destination>`: copies every key under --prefix to the destination cluster
 * (renamed to --dest-prefix, or to the root with --no-dest-prefix), then follows the source's watch,
 * applying each revision's events as one destination txn. Prints the number of keys mirrored every 30 s.
 */
import * as pb from '../../../proto/gen/etcdserverpb.js';
import type { EtcdClient } from '../../../client/index.js';
import type { CtlCommand, RunContext } from '../command.js';
import { commandFailed, connect } from '../connect.js';
import { CtlExit, ExitCode } from '../errors.js';
import type { GlobalOptions } from '../global-flags.js';
import { boolFlag, stringFlag } from './flags.js';
import { prefixRangeEnd } from './kv-options.js';

/** etcdctl prints the running total this often. */
const PROGRESS_INTERVAL_MS = 30_000;
/** Keys read per page while copying the base state. */
const PAGE_KEYS = 1_000;

function rangeOf(prefix: string): { key: Uint8Array; rangeEnd: Uint8Array } {
  const key = Buffer.from(prefix);
  if (key.length === 0) return { key: new Uint8Array([0]), rangeEnd: new Uint8Array([0]) };
  return { key, rangeEnd: prefixRangeEnd(key) };
}

async function syncBase(src: EtcdClient, dst: EtcdClient, prefix: string, rename: (k: Uint8Array) => Uint8Array,
  count: () => void): Promise<number> {
  const { key, rangeEnd } = rangeOf(prefix);
  const first = await src.range({ key, rangeEnd, limit: 1 });
  const revision = first.header?.revision ?? 0;
  let from = key;
  for (;;) {
    const page = await src.range({ key: from, rangeEnd, revision, limit: PAGE_KEYS });
    for (const kv of page.kvs) {
      await dst.put({ key: rename(kv.key), value: kv.value });
      count();
    }
    if (!page.more || page.kvs.length === 0) return revision;
    from = Buffer.concat([page.kvs.at(-1)!.key, Buffer.from([0])]);
  }
}

async function syncUpdates(src: EtcdClient, dst: EtcdClient, prefix: string, fromRevision: number,
  rename: (k: Uint8Array) => Uint8Array, count: () => void): Promise<void> {
  const stream = await src.watch({ requireLeader: true });
  stream.send({ createRequest: pb.WatchCreateRequest.create({ ...rangeOf(prefix), startRevision: fromRevision + 1 }) });
  for await (const r of stream) {
    if (r.compactRevision !== 0) throw new Error('etcdserver: mvcc: required revision has been compacted');
    let ops: pb.RequestOp[] = [];
    let lastRev = 0;
    for (const e of r.events) {
      const rev = e.kv?.modRevision ?? 0;
      if (lastRev !== 0 && rev > lastRev) {
        await dst.txn({ success: ops });
        ops = [];
      }
      lastRev = rev;
      const k = rename(e.kv?.key ?? new Uint8Array());
      const value = e.kv?.value ?? new Uint8Array();
      ops.push(e.type === 0 ? pb.RequestOp.create({ requestPut: pb.PutRequest.create({ key: k, value }) })
        : pb.RequestOp.create({ requestDeleteRange: pb.DeleteRangeRequest.create({ key: k }) }));
      count();
    }
    if (ops.length > 0) await dst.txn({ success: ops });
  }
}

function destGlobals(ctx: RunContext, destination: string): GlobalOptions {
  return { ...ctx.globals, endpoints: [destination], cacert: ctx.flags.string('dest-cacert'),
    cert: ctx.flags.string('dest-cert'), key: ctx.flags.string('dest-key'),
    insecureTransport: ctx.flags.bool('dest-insecure-transport'), user: '', password: '' };
}

async function runMakeMirror(ctx: RunContext, args: string[]): Promise<number> {
  if (args.length !== 1) throw new CtlExit(ExitCode.BAD_ARGS, 'make-mirror takes one destination argument');
  const prefix = ctx.flags.string('prefix');
  let destPrefix = ctx.flags.string('dest-prefix');
  const noDestPrefix = ctx.flags.bool('no-dest-prefix');
  if (noDestPrefix && destPrefix !== '') {
    throw new CtlExit(ExitCode.BAD_ARGS,
      '`--dest-prefix` and `--no-dest-prefix` cannot be set at the same time, choose one');
  }
  const dst = await connect(destGlobals(ctx, args[0]!)).catch((e: unknown) => {
    throw new CtlExit(ExitCode.BAD_CONNECTION, commandFailed(e).text);
  });
  const src = await connect(ctx.globals).catch((e: unknown) => {
    dst.close();
    throw new CtlExit(ExitCode.BAD_CONNECTION, commandFailed(e).text);
  });
  let total = 0;
  const timer = setInterval(() => ctx.out.stdout(`${total}\n`), PROGRESS_INTERVAL_MS);
  try {
    if (!noDestPrefix && destPrefix === '') destPrefix = prefix;
    const from = Buffer.from(prefix);
    const to = Buffer.from(destPrefix);
    const rename = (k: Uint8Array): Uint8Array => Buffer.concat([to, Buffer.from(k).subarray(from.length)]);
    const count = (): void => { total++; };
    const revision = await syncBase(src, dst, prefix, rename, count);
    await syncUpdates(src, dst, prefix, revision, rename, count);
    return ExitCode.SUCCESS;
  } catch (error) {
    throw commandFailed(error);
  } finally {
    clearInterval(timer);
    src.close();
    dst.close();
  }
}

/** The make-mirror command. */
export function makeMirrorCommand(): CtlCommand {
  return { name: 'make-mirror', use: 'make-mirror [options] <destination>',
    short: 'Makes a mirror at the destination etcd cluster', run: runMakeMirror,
    flags: [
      stringFlag('dest-cacert', '', 'Verify certificates of TLS enabled secure servers using this CA bundle'),
      stringFlag('dest-cert', '',
        'Identify secure client using this TLS certificate file for the destination cluster'),
      { ...boolFlag('dest-insecure-transport', 'Disable transport security for client connections'), defaultText: 'true' },
      stringFlag('dest-key', '', 'Identify secure client using this TLS key file'),
      stringFlag('dest-prefix', '',
        'destination prefix to mirror a prefix to a different prefix in the destination cluster'),
      boolFlag('no-dest-prefix', 'mirror key-values to the root of the destination cluster'),
      stringFlag('prefix', '', 'Key-value prefix to mirror'),
    ] };
}
