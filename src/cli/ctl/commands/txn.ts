/** `txn [-i]`: reads compares, success and failure requests from stdin and commits them. */
import * as pb from '../../../proto/gen/etcdserverpb.js';
import type { CtlCommand, RunContext } from '../command.js';
import { send } from '../connect.js';
import { CtlExit, ExitCode } from '../errors.js';
import { helpFlag } from '../help.js';
import { boolFlag } from './flags.js';
import { DEL_FLAGS, GET_FLAGS, PUT_FLAGS } from './kv.js';
import { LineReader } from './stdin.js';
import { invalidInput, parseCompare, parseRequestOp } from './txn-parse.js';

async function readBlock<T>(reader: LineReader, parse: (line: string) => T): Promise<T[]> {
  const items: T[] = [];
  for (;;) {
    const raw = await reader.readLine();
    if (raw === null) throw invalidInput('EOF');
    const line = raw.trim();
    if (line === '') return items;
    items.push(parse(line));
  }
}

async function runTxn(ctx: RunContext, args: string[]): Promise<number> {
  if (args.length !== 0) throw new CtlExit(ExitCode.BAD_ARGS, 'txn command does not accept argument');
  const interactive = ctx.flags.bool('interactive');
  const prompt = (text: string): void => { if (interactive) ctx.out.stdout(`${text}\n`); };
  const stub = { name: 'x', use: 'x', short: '' };
  const help = helpFlag(stub);
  const flagSets = { get: [...GET_FLAGS, help], put: [...PUT_FLAGS, help], del: [...DEL_FLAGS, help] };
  const reader = new LineReader();
  let request: pb.TxnRequest;
  try {
    prompt('compares:');
    const compare = await readBlock(reader, parseCompare);
    prompt('success requests (get, put, del):');
    const success = await readBlock(reader, (line) => parseRequestOp(line, flagSets));
    prompt('failure requests (get, put, del):');
    const failure = await readBlock(reader, (line) => parseRequestOp(line, flagSets));
    request = pb.TxnRequest.create({ compare, success, failure });
  } finally {
    await reader.close();
  }
  const response = await send(ctx.globals, (c) => c.txn(request));
  ctx.printer.txn(response);
  return ExitCode.SUCCESS;
}

/** The txn command. */
export function txnCommand(): CtlCommand {
  return { name: 'txn', use: 'txn [options]', short: 'Txn processes all the requests in one transaction',
    flags: [boolFlag('interactive', 'Input transaction in interactive mode', 'i')], run: runTxn };
}
