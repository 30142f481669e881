/** `get`, `put`, `del` and `compaction`. */
import * as pb from '../../../proto/gen/etcdserverpb.js';
import type { CtlCommand, RunContext } from '../command.js';
import { send } from '../connect.js';
import { CtlExit, ExitCode } from '../errors.js';
import { GoParseError, parseGoInt } from '../go-format.js';
import { SimplePrinter } from '../printers/index.js';
import { FieldsPrinter } from '../printers/fields.js';
import { boolFlag, intFlag, stringFlag } from './flags.js';
import { buildDelete, buildPut, buildRange } from './kv-options.js';
import { readAllStdin } from './stdin.js';

/** Flags of `get` (shared with txn's get lines). */
export const GET_FLAGS = [
  stringFlag('consistency', 'l', 'Linearizable(l) or Serializable(s)'),
  { ...boolFlag('count-only', 'Get only the count'), hidden: true },
  boolFlag('from-key', 'Get keys that are greater than or equal to the given key using byte compare'),
  boolFlag('keys-only', 'Get only the keys'),
  intFlag('limit', 'Maximum number of results'),
  stringFlag('order', '', 'Order of results; ASCEND or DESCEND (ASCEND by default)'),
  boolFlag('prefix', 'Get keys with matching prefix'),
  boolFlag('print-value-only', 'Only write values when using the "simple" output format'),
  intFlag('rev', 'Specify the kv revision'),
  stringFlag('sort-by', '', 'Sort target; CREATE, KEY, MODIFY, VALUE, or VERSION'),
];

/** Flags of `put`. */
export const PUT_FLAGS = [
  boolFlag('ignore-lease', 'updates the key using its current lease'),
  boolFlag('ignore-value', 'updates the key using its current value'),
  stringFlag('lease', '0', 'lease ID (in hexadecimal) to attach to the key'),
  boolFlag('prev-kv', 'return the previous key-value pair before modification'),
];

/** Flags of `del`. */
export const DEL_FLAGS = [
  boolFlag('from-key', 'delete keys that are greater than or equal to the given key using byte compare'),
  boolFlag('prefix', 'delete keys with matching prefix'),
  boolFlag('prev-kv', 'return deleted key-value pairs'),
];

const PUT_LONG = `Puts the given key into the store.

When <value> begins with '-', <value> is interpreted as a flag.
Insert '--' for workaround:

$ put <key> -- <value>
$ put -- <key> <value>

If <value> isn't given as a command line argument and '--ignore-value' is not specified,
this command tries to read the value from standard input.

If <lease> isn't given as a command line argument and '--ignore-lease' is not specified,
this command tries to read the value from standard input.

For example,
$ cat file | put <key>
will store the content of the file to <key>.
`;

const PUT_ARGS_ERROR = 'put command needs 1 argument and input from stdin or 2 arguments';

async function runGet(ctx: RunContext, args: string[]): Promise<number> {
  const request = buildRange(args, ctx.flags);
  if (ctx.flags.bool('print-value-only')) {
    if (!(ctx.printer instanceof SimplePrinter)) {
      throw new CtlExit(ExitCode.BAD_ARGS, 'print-value-only is only for `--write-out=simple`');
    }
    ctx.printer.valueOnly = true;
  }
  if (ctx.flags.bool('count-only') && !(ctx.printer instanceof FieldsPrinter)) {
    throw new CtlExit(ExitCode.BAD_ARGS, '--count-only is only for `--write-out=fields`');
  }
  const response = await send(ctx.globals, (c) => c.range(request));
  ctx.printer.get(response);
  return ExitCode.SUCCESS;
}

/** The value for put: args[1], or all of stdin; throws etcdctl's put argument error. */
export async function putValue(args: string[], ignoreValue: boolean): Promise<Uint8Array> {
  if (args.length === 0) throw new CtlExit(ExitCode.BAD_ARGS, PUT_ARGS_ERROR);
  if (ignoreValue && args.length > 1) {
    throw new CtlExit(ExitCode.BAD_ARGS, "put command needs only 1 argument when 'ignore-value' is set");
  }
  if (ignoreValue) return new Uint8Array(0);
  if (args.length > 1) return new TextEncoder().encode(args[1]!);
  const data = process.stdin.isTTY === true ? Buffer.alloc(0) : await readAllStdin();
  if (data.length === 0) throw new CtlExit(ExitCode.BAD_ARGS, PUT_ARGS_ERROR);
  return data;
}

async function runPut(ctx: RunContext, args: string[]): Promise<number> {
  const value = await putValue(args, ctx.flags.bool('ignore-value'));
  const request = buildPut(args[0]!, value, ctx.flags);
  const response = await send(ctx.globals, (c) => c.put(request));
  ctx.printer.put(response);
  return ExitCode.SUCCESS;
}

async function runDel(ctx: RunContext, args: string[]): Promise<number> {
  const request = buildDelete(args, ctx.flags);
  const response = await send(ctx.globals, (c) => c.deleteRange(request));
  ctx.printer.del(response);
  return ExitCode.SUCCESS;
}

async function runCompaction(ctx: RunContext, args: string[]): Promise<number> {
  if (args.length !== 1) throw new CtlExit(ExitCode.BAD_ARGS, 'compaction command needs 1 argument');
  let revision: bigint;
  try {
    revision = parseGoInt(args[0]!);
  } catch (error) {
    throw new CtlExit(ExitCode.ERROR, error instanceof GoParseError ? error.message : String(error));
  }
  const request = pb.CompactionRequest.create({ revision: Number(revision), physical: ctx.flags.bool('physical') });
  await send(ctx.globals, (c) => c.compact(request));
  ctx.out.stdout(`compacted revision ${revision}\n`);
  return ExitCode.SUCCESS;
}

/** The key-value commands. */
export function kvCommands(): CtlCommand[] {
  return [
    { name: 'get', use: 'get [options] <key> [range_end]', short: 'Gets the key or a range of keys',
      flags: GET_FLAGS, run: runGet },
    { name: 'put', use: 'put [options] <key> <value> (<value> can also be given from stdin)',
      short: 'Puts the given key into the store', long: PUT_LONG, flags: PUT_FLAGS, run: runPut },
    { name: 'del', use: 'del [options] <key> [range_end]',
      short: 'Removes the specified key or range of keys [key, range_end)', flags: DEL_FLAGS, run: runDel },
    { name: 'compaction', aliases: ['compact'], use: 'compaction [options] <revision>', short: 'Compacts the event history in etcd',
      flags: [boolFlag('physical', "'true' to wait for compaction to physically remove all old revisions")],
      run: runCompaction },
  ];
}
