/** `member list`, `alarm list`, `lease grant|revoke|timetolive|list`, `version`. */
import * as pb from '../../../proto/gen/etcdserverpb.js';
import type { CtlCommand, RunContext } from '../command.js';
import { errorText, send, withClient } from '../connect.js';
import { CtlExit, ExitCode } from '../errors.js';
import { GoParseError, parseGoInt } from '../go-format.js';
import { ETCDCTL_API_VERSION, ETCDCTL_COMPAT_VERSION } from '../help.js';
import { boolFlag } from './flags.js';
import { keepAliveCommand } from './lease-keepalive.js';
import { memberCommands } from './member.js';
import { recoverNospaceCommand } from './runbooks.js';

async function runMemberList(ctx: RunContext): Promise<number> {
  const response = await send(ctx.globals, (c) => c.memberList());
  ctx.printer.memberList(response);
  return ExitCode.SUCCESS;
}

async function runAlarmList(ctx: RunContext, args: string[]): Promise<number> {
  if (args.length !== 0) throw new CtlExit(ExitCode.BAD_ARGS, 'alarm list command accepts no arguments');
  const response = await send(ctx.globals, (c) => c.alarm({ action: pb.AlarmRequest_AlarmAction.GET }));
  ctx.printer.alarm(response);
  return ExitCode.SUCCESS;
}

function leaseIdArg(text: string): bigint {
  try {
    return parseGoInt(text, 16);
  } catch (error) {
    throw new CtlExit(ExitCode.BAD_ARGS, `bad lease ID arg (${(error as GoParseError).message}), expecting ID in Hex`);
  }
}

async function runLeaseGrant(ctx: RunContext, args: string[]): Promise<number> {
  if (args.length !== 1) throw new CtlExit(ExitCode.BAD_ARGS, 'lease grant command needs TTL argument');
  let ttl: bigint;
  try {
    ttl = parseGoInt(args[0]!);
  } catch (error) {
    throw new CtlExit(ExitCode.BAD_ARGS, `bad TTL (${(error as GoParseError).message})`);
  }
  const response = await withClient(ctx.globals, (c) => c.leaseGrant({ TTL: Number(ttl) }))
    .catch((e: unknown) => { throw new CtlExit(ExitCode.ERROR, `failed to grant lease (${errorText(e)})`); });
  ctx.printer.grant(response);
  return ExitCode.SUCCESS;
}

async function runLeaseRevoke(ctx: RunContext, args: string[]): Promise<number> {
  if (args.length !== 1) throw new CtlExit(ExitCode.BAD_ARGS, 'lease revoke command needs 1 argument');
  const id = leaseIdArg(args[0]!);
  const response = await withClient(ctx.globals, (c) => c.leaseRevoke({ ID: id }))
    .catch((e: unknown) => { throw new CtlExit(ExitCode.ERROR, `failed to revoke lease (${errorText(e)})`); });
  ctx.printer.revoke(id, response);
  return ExitCode.SUCCESS;
}

async function runLeaseTimeToLive(ctx: RunContext, args: string[]): Promise<number> {
  if (args.length !== 1) throw new CtlExit(ExitCode.BAD_ARGS, 'lease timetolive command needs lease ID as argument');
  const id = leaseIdArg(args[0]!);
  const keys = ctx.flags.bool('keys');
  const response = await send(ctx.globals, (c) => c.leaseTimeToLive({ ID: id, keys }));
  ctx.printer.timeToLive(response, keys);
  return ExitCode.SUCCESS;
}

async function runLeaseList(ctx: RunContext): Promise<number> {
  const response = await withClient(ctx.globals, (c) => c.leaseLeases())
    .catch((e: unknown) => { throw new CtlExit(ExitCode.ERROR, `failed to list leases (${errorText(e)})`); });
  ctx.printer.leases(response);
  return ExitCode.SUCCESS;
}

function runVersion(ctx: RunContext): Promise<number> {
  ctx.out.stdout(`etcdctl version: ${ETCDCTL_COMPAT_VERSION}\nAPI version: ${ETCDCTL_API_VERSION}\n`);
  return Promise.resolve(ExitCode.SUCCESS);
}

const MEMBER_LIST_LONG = `When --write-out is set to simple, this command prints out comma-separated member lists for each endpoint.
The items in the lists are ID, Status, Name, Peer Addrs, Client Addrs, Is Learner.`;

/** member, alarm, lease groups and version. */
export function clusterCommands(): CtlCommand[] {
  const extra = memberCommands();
  return [
    ...extra.root,
    { name: 'member', use: 'member <subcommand>', short: 'Membership related commands', children: [
      { name: 'list', use: 'list', short: 'Lists all members in the cluster', long: MEMBER_LIST_LONG, run: runMemberList },
      ...extra.member,
    ] },
    { name: 'alarm', use: 'alarm <subcommand>', short: 'Alarm related commands', children: [
      { name: 'list', use: 'list', short: 'Lists all alarms', run: runAlarmList },
      ...extra.alarm,
      recoverNospaceCommand(),
    ] },
    { name: 'lease', use: 'lease <subcommand>', short: 'Lease related commands', children: [
      { name: 'grant', use: 'grant <ttl>', short: 'Creates leases', run: runLeaseGrant },
      keepAliveCommand(),
      { name: 'list', use: 'list', short: 'List all active leases', run: runLeaseList },
      { name: 'revoke', use: 'revoke <leaseID>', short: 'Revokes leases', run: runLeaseRevoke },
      { name: 'timetolive', use: 'timetolive <leaseID> [options]', short: 'Get lease information',
        flags: [boolFlag('keys', 'Get keys attached to this lease')], run: runLeaseTimeToLive },
    ] },
    { name: 'version', use: 'version', short: 'Prints the version of etcdctl', run: runVersion },
  ];
}
