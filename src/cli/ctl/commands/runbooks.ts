/**
 * Runbooks as commands (beyond etcdctl):
 * - `defrag --rolling [--cluster]`: defragments members one at a time, followers first and the
 *   leader last, checking cluster health after each; stops at the first failure.
 * - `alarm recover-nospace`: NOSPACE recovery: compact to the current revision, rolling defrag,
 *   disarm every alarm, verify that a write succeeds.
 */
import * as pb from '../../../proto/gen/etcdserverpb.js';
import type { CtlCommand, RunContext } from '../command.js';
import { errorText, send, withClient } from '../connect.js';
import { CtlExit, ExitCode } from '../errors.js';
import { humanizeBytes } from '../go-format.js';
import { hexId } from '../printers/printer.js';
import { endpointsOf } from './endpoint.js';
import { disarmAll } from './member.js';

/** Key written (and deleted) by recover-nospace to prove writes work again. */
const PROBE_KEY = '/tetcdctl-recover-nospace-probe';

interface Target { endpoint: string; id: bigint; leader: boolean; dbSize: number }

/** Status of every endpoint, followers first and the leader last. Throws CtlExit when one fails. */
async function rollingOrder(ctx: RunContext, endpoints: string[]): Promise<Target[]> {
  const targets: Target[] = [];
  for (const endpoint of endpoints) {
    const status = await withClient(ctx.globals, (c) => c.status(), [endpoint]).catch((e: unknown) => {
      throw new CtlExit(ExitCode.ERROR, `cannot get the status of ${endpoint} (${errorText(e)}); nothing was defragmented`);
    });
    const id = status.header?.memberId ?? 0n;
    targets.push({ endpoint, id, leader: id === status.leader, dbSize: status.dbSize });
  }
  return [...targets.filter((t) => !t.leader), ...targets.filter((t) => t.leader)];
}

/** A quorum read and an alarm check through `endpoint`. Resolves with '' when healthy, else the problem. */
async function healthOf(ctx: RunContext, endpoint: string): Promise<string> {
  try {
    return await withClient(ctx.globals, async (c) => {
      await c.range({ key: Buffer.from('health') });
      const alarms = await c.alarm({ action: pb.AlarmRequest_AlarmAction.GET });
      const bad = alarms.alarms.filter((a) => a.alarm !== pb.AlarmType.NONE && a.alarm !== pb.AlarmType.NOSPACE);
      return bad.length > 0 ? `active alarm(s) on ${bad.map((a) => hexId(a.memberID)).join(', ')}` : '';
    }, [endpoint]);
  } catch (error) {
    return errorText(error);
  }
}

/** The rolling defragmentation. Returns the exit code; prints one line per step. */
export async function rollingDefrag(ctx: RunContext, endpoints: string[]): Promise<number> {
  const order = await rollingOrder(ctx, endpoints);
  const say = (text: string): void => ctx.out.stdout(`${text}\n`);
  say(`Rolling defragmentation of ${order.length} member(s), followers first, leader last: ` +
    order.map((t) => `${hexId(t.id)}${t.leader ? ' (leader)' : ''}`).join(', '));
  for (const [i, t] of order.entries()) {
    try {
      await withClient(ctx.globals, (c) => c.defragment(), [t.endpoint]);
    } catch (error) {
      ctx.out.stderr(`Failed to defragment etcd member[${t.endpoint}] (${errorText(error)})\n`);
      ctx.out.stderr(`Stopped after the first failure: ${order.length - i - 1} member(s) not defragmented\n`);
      return ExitCode.ERROR;
    }
    const after = await withClient(ctx.globals, (c) => c.status(), [t.endpoint]).catch(() => undefined);
    say(`Finished defragmenting etcd member[${t.endpoint}] (${humanizeBytes(t.dbSize)} -> ` +
      `${after === undefined ? '?' : humanizeBytes(after.dbSize)})`);
    const problem = await healthOf(ctx, t.endpoint);
    if (problem !== '') {
      ctx.out.stderr(`Member ${t.endpoint} is unhealthy after defragmentation (${problem})\n`);
      ctx.out.stderr(`Stopped after the first failure: ${order.length - i - 1} member(s) not defragmented\n`);
      return ExitCode.ERROR;
    }
    say(`Member ${t.endpoint} is healthy`);
  }
  return ExitCode.SUCCESS;
}

async function runRecoverNospace(ctx: RunContext, args: string[]): Promise<number> {
  if (args.length !== 0) throw new CtlExit(ExitCode.BAD_ARGS, 'alarm recover-nospace command accepts no arguments');
  const say = (text: string): void => ctx.out.stdout(`${text}\n`);
  const alarms = await send(ctx.globals, (c) => c.alarm({ action: pb.AlarmRequest_AlarmAction.GET }));
  const nospace = alarms.alarms.filter((a) => a.alarm === pb.AlarmType.NOSPACE);
  say(nospace.length === 0 ? 'No NOSPACE alarm is active (recovering anyway)'
    : `NOSPACE alarm active on ${nospace.map((a) => hexId(a.memberID)).join(', ')}`);
  const status = await send(ctx.globals, (c) => c.status());
  const revision = status.header?.revision ?? 0;
  await send(ctx.globals, (c) => c.compact({ revision, physical: true })).catch((e: unknown) => {
    if (!(e instanceof CtlExit && /compacted/.test(e.text ?? ''))) throw e;
  });
  say(`Compacted to revision ${revision}`);
  const code = await rollingDefrag(ctx, await endpointsOf(ctx));
  if (code !== ExitCode.SUCCESS) return code;
  const disarmed = await disarmAll(ctx);
  say(`Disarmed ${disarmed.alarms.length} alarm(s)`);
  await send(ctx.globals, async (c) => {
    await c.put({ key: Buffer.from(PROBE_KEY), value: Buffer.from('ok') });
    await c.deleteRange({ key: Buffer.from(PROBE_KEY) });
  }).catch((e: unknown) => {
    throw new CtlExit(ExitCode.ERROR, `writes still fail after recovery: ${e instanceof CtlExit ? e.text ?? '' : errorText(e)}`);
  });
  say('Verified: writes succeed');
  return ExitCode.SUCCESS;
}

/** The hidden `alarm recover-nospace` leaf (takes --cluster like defrag). */
export function recoverNospaceCommand(): CtlCommand {
  return { name: 'recover-nospace', use: 'recover-nospace', hidden: true, run: runRecoverNospace,
    short: 'Recovers from NOSPACE: compact, rolling defrag, disarm, verify a write',
    flags: [{ name: 'cluster', kind: 'bool', defaultText: 'false', usage: 'use all endpoints from the cluster member list' }] };
}
