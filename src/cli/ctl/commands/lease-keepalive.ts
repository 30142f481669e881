/** `lease keep-alive [--once] <leaseID>`: renews a lease once or until it expires or is revoked. */
import type * as pb from '../../../proto/gen/etcdserverpb.js';
import type { EtcdClient } from '../../../client/index.js';
import type { CtlCommand, RunContext } from '../command.js';
import { connect, errorText } from '../connect.js';
import { CtlExit, ExitCode } from '../errors.js';
import { GoParseError, parseGoInt } from '../go-format.js';
import { leaseHex } from '../printers/printer.js';
import { boolFlag } from './flags.js';
import { printKeepAlive } from './watch-print.js';

/** clientv3's ErrLeaseNotFound text. */
const LEASE_NOT_FOUND = 'etcdserver: requested lease not found';
/** Smallest renewal interval (clientv3 renews every TTL/3 seconds). */
const RENEW_INTERVAL_MS_MIN = 500;

async function keepAliveOnce(client: EtcdClient, id: bigint): Promise<pb.LeaseKeepAliveResponse> {
  const stream = await client.leaseKeepAlive();
  try {
    stream.send({ ID: id });
    for await (const r of stream) {
      if (r.TTL <= 0) throw new Error(LEASE_NOT_FOUND);
      return r;
    }
    throw new Error('keep-alive stream ended');
  } finally {
    stream.cancel();
  }
}

async function keepAliveLoop(ctx: RunContext, client: EtcdClient, id: bigint): Promise<void> {
  const stream = await client.leaseKeepAlive();
  let timer: NodeJS.Timeout | undefined;
  try {
    stream.send({ ID: id });
    for await (const r of stream) {
      if (r.TTL <= 0) return;
      printKeepAlive(ctx, r);
      const intervalMs = Math.max(RENEW_INTERVAL_MS_MIN, (r.TTL * 1000) / 3);
      timer = setTimeout(() => stream.send({ ID: id }), intervalMs);
    }
  } finally {
    clearTimeout(timer);
    stream.cancel();
  }
}

async function runKeepAlive(ctx: RunContext, args: string[]): Promise<number> {
  if (args.length !== 1) throw new CtlExit(ExitCode.BAD_ARGS, 'lease keep-alive command needs lease ID as argument');
  let id: bigint;
  try {
    id = parseGoInt(args[0]!, 16);
  } catch (error) {
    throw new CtlExit(ExitCode.BAD_ARGS, `bad lease ID arg (${(error as GoParseError).message}), expecting ID in Hex`);
  }
  const client = await connect(ctx.globals).catch((e: unknown) => {
    throw new CtlExit(ExitCode.BAD_CONNECTION, errorText(e));
  });
  try {
    if (ctx.flags.bool('once')) {
      const r = await keepAliveOnce(client, id).catch((e: unknown) => {
        throw new CtlExit(ExitCode.BAD_CONNECTION, errorText(e));
      });
      printKeepAlive(ctx, r);
      return ExitCode.SUCCESS;
    }
    await keepAliveLoop(ctx, client, id).catch((e: unknown) => {
      throw new CtlExit(ExitCode.BAD_CONNECTION, errorText(e));
    });
    if (ctx.globals.writeOut === 'simple') ctx.out.stdout(`lease ${leaseHex(id)} expired or revoked.\n`);
    return ExitCode.SUCCESS;
  } finally {
    client.close();
  }
}

/** The keep-alive leaf of the lease group. */
export function keepAliveCommand(): CtlCommand {
  return { name: 'keep-alive', use: 'keep-alive [options] <leaseID>', short: 'Keeps leases alive (renew)',
    flags: [boolFlag('once', 'Resets the keep-alive time to its original value and exits immediately')],
    run: runKeepAlive };
}
