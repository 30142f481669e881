/**
 * `lock <name> [command...]` and `elect <name> [proposal]` / `elect -l <name>`: a session lease kept
 * alive in the background, the v3lock / v3election services, and release on SIGINT/SIGTERM.
 */
import { spawn } from 'node:child_process';
import type { EtcdClient } from '../../../client/index.js';
import type { CtlCommand, RunContext } from '../command.js';
import { connect, commandFailed } from '../connect.js';
import { CtlExit, ExitCode } from '../errors.js';
import { boolFlag, intFlag } from './flags.js';

const enc = (s: string): Uint8Array => Buffer.from(s);
/** concurrency.NewSession's default TTL (elect). */
const SESSION_TTL_S_DEFAULT = 60;
/** Least time between two keep-alive requests of a session. */
const RENEW_INTERVAL_MS_MIN = 500;

/** A lease kept alive until close(); `lost` resolves if the lease expires or the stream fails. */
interface Session { lease: bigint; lost: Promise<void>; close(): Promise<void> }

async function openSession(client: EtcdClient, ttlS: number): Promise<Session> {
  const grant = await client.leaseGrant({ TTL: ttlS });
  const stream = await client.leaseKeepAlive();
  let timer: NodeJS.Timeout | undefined;
  const intervalMs = Math.max(RENEW_INTERVAL_MS_MIN, (grant.TTL * 1000) / 3);
  const lost = (async () => {
    try {
      stream.send({ ID: grant.ID });
      for await (const r of stream) {
        if (r.TTL <= 0) return;
        timer = setTimeout(() => stream.send({ ID: grant.ID }), intervalMs);
      }
    } catch {
      // the session is lost either way
    }
  })();
  return {
    lease: grant.ID,
    lost,
    close: async () => {
      clearTimeout(timer);
      stream.cancel();
      await client.leaseRevoke({ ID: grant.ID }).catch(() => undefined);
    },
  };
}

/** Resolves on SIGINT or SIGTERM (the handlers are removed afterwards). */
function untilSignal(): { promise: Promise<void>; dispose(): void } {
  let resolveFn: () => void = () => undefined;
  const promise = new Promise<void>((resolve) => { resolveFn = resolve; });
  const handler = (): void => resolveFn();
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return { promise, dispose: () => { process.off('SIGINT', handler); process.off('SIGTERM', handler); } };
}

function runChild(args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(args[0]!, args.slice(1), { env, stdio: 'inherit' });
    child.on('error', (e: NodeJS.ErrnoException) => {
      reject(new Error(e.code === 'ENOENT' ? `exec: "${args[0]!}": executable file not found in $PATH` : e.message));
    });
    child.on('exit', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(code !== null ? `exit status ${code}` : `signal: ${signal ?? 'killed'}`));
    });
  });
}

async function runLock(ctx: RunContext, args: string[]): Promise<number> {
  if (args.length === 0) throw new CtlExit(ExitCode.BAD_ARGS, 'lock takes a lock name argument and an optional command to execute');
  const ttl = Number(ctx.flags.int('ttl'));
  const client = await connect(ctx.globals).catch((e: unknown) => { throw commandFailed(e); });
  const signals = untilSignal();
  try {
    const session = await openSession(client, ttl);
    try {
      const locked = await Promise.race([client.lock({ name: enc(args[0]!), lease: session.lease }), signals.promise]);
      if (locked === undefined) return ExitCode.SUCCESS;
      if (args.length > 1) {
        const env = { ETCD_LOCK_KEY: Buffer.from(locked.key).toString(),
          ETCD_LOCK_REV: String(locked.header?.revision ?? 0),
          ...process.env };
        try {
          await runChild(args.slice(1), env);
        } finally {
          await client.unlock({ key: locked.key }).catch(() => undefined);
        }
        return ExitCode.SUCCESS;
      }
      const held = await client.range({ key: locked.key });
      if (held.kvs.length === 0) throw new Error('lock lost on init');
      ctx.printer.get(held);
      const outcome = await Promise.race([signals.promise.then(() => 'signal'), session.lost.then(() => 'lost')]);
      if (outcome === 'lost') throw new Error('session expired');
      await client.unlock({ key: locked.key });
      return ExitCode.SUCCESS;
    } finally {
      await session.close();
    }
  } catch (error) {
    throw commandFailed(error);
  } finally {
    signals.dispose();
    client.close();
  }
}

async function campaign(ctx: RunContext, client: EtcdClient, name: string, proposal: string): Promise<void> {
  const signals = untilSignal();
  const session = await openSession(client, SESSION_TTL_S_DEFAULT);
  try {
    const won = await Promise.race([client.campaign({ name: enc(name), lease: session.lease, value: enc(proposal) }),
      signals.promise]);
    if (won === undefined) return;
    if (won.leader !== undefined) ctx.printer.get(await client.range({ key: won.leader.key }));
    const outcome = await Promise.race([signals.promise.then(() => 'signal'), session.lost.then(() => 'lost')]);
    if (outcome === 'lost') throw new Error('elect: session expired');
    if (won.leader !== undefined) await client.resign({ leader: won.leader });
  } finally {
    signals.dispose();
    await session.close();
  }
}

async function observe(ctx: RunContext, client: EtcdClient, name: string): Promise<void> {
  const signals = untilSignal();
  const stream = await client.observe({ name: enc(name) });
  let interrupted = false;
  void signals.promise.then(() => { interrupted = true; stream.cancel(); });
  try {
    for await (const r of stream) {
      if (r.kv !== undefined) ctx.printer.get({ header: r.header, kvs: [r.kv], more: false, count: 1 });
    }
    if (!interrupted) throw new Error('elect: observer lost');
  } catch (error) {
    if (!interrupted) throw error;
  } finally {
    signals.dispose();
  }
}

async function runElect(ctx: RunContext, args: string[]): Promise<number> {
  if (args.length !== 1 && args.length !== 2) {
    throw new CtlExit(ExitCode.BAD_ARGS, 'elect takes one election name argument and an optional proposal argument');
  }
  const listen = ctx.flags.bool('listen');
  if (!listen && args.length === 1) throw new CtlExit(ExitCode.BAD_ARGS, 'no proposal argument but -l not set');
  const client = await connect(ctx.globals).catch((e: unknown) => { throw commandFailed(e); });
  try {
    if (listen) await observe(ctx, client, args[0]!);
    else await campaign(ctx, client, args[0]!, args[1]!);
    return ExitCode.SUCCESS;
  } catch (error) {
    throw commandFailed(error);
  } finally {
    client.close();
  }
}

/** lock and elect. */
export function lockElectCommands(): CtlCommand[] {
  return [
    { name: 'elect', use: 'elect <election-name> [proposal]', short: 'Observes and participates in leader election',
      flags: [boolFlag('listen', 'observation mode', 'l')], run: runElect },
    { name: 'lock', use: 'lock <lockname> [exec-command arg1 arg2 ...]', short: 'Acquires a named lock',
      flags: [{ ...intFlag('ttl', 'timeout for session'), defaultText: '10' }], run: runLock },
  ];
}
