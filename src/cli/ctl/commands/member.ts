/** `member add|remove|update|promote`, `move-leader`, `alarm disarm`. */
import * as pb from '../../../proto/gen/etcdserverpb.js';
import type { CtlCommand, RunContext } from '../command.js';
import { errorText, send, withClient } from '../connect.js';
import { CtlExit, ExitCode } from '../errors.js';
import { goQuote } from '../go-format.js';
import * as J from '../printers/json-extra.js';
import { hexId } from '../printers/printer.js';
import { display, println } from './display.js';
import { boolFlag, stringFlag } from './flags.js';

const bad = (text: string): CtlExit => new CtlExit(ExitCode.BAD_ARGS, text);
const UINT64_MAX = (1n << 64n) - 1n;

/** Go's strconv.ParseUint(text, 16, 64). Throws Error with Go's message. */
export function parseHexUint64(text: string): bigint {
  if (!/^[0-9a-fA-F]+$/.test(text)) throw new Error(`strconv.ParseUint: parsing ${goQuote(text)}: invalid syntax`);
  const value = BigInt(`0x${text}`);
  if (value > UINT64_MAX) throw new Error(`strconv.ParseUint: parsing ${goQuote(text)}: value out of range`);
  return value;
}

function memberIdArg(args: string[]): bigint {
  if (args.length !== 1) throw bad('member ID is not provided');
  try {
    return parseHexUint64(args[0]!);
  } catch (error) {
    throw bad(`bad member ID arg (${(error as Error).message}), expecting ID in Hex`);
  }
}

/** etcd's types.NewURLs checks. Throws CtlExit (exit 1) with etcd's message. */
export function checkPeerUrls(text: string): string[] {
  const urls = text.split(',');
  for (const raw of urls) {
    const u = raw.trim();
    const match = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/([^/?#]*)(.*)$/.exec(u);
    const scheme = match?.[1] ?? '';
    if (!['http', 'https', 'unix', 'unixs'].includes(scheme)) {
      throw new CtlExit(ExitCode.ERROR, `URL scheme must be http, https, unix, or unixs: ${u}`);
    }
    if (!/^(\[[^\]]*\]|[^:[\]]*):[^:]*$/.test(match![2]!)) {
      throw new CtlExit(ExitCode.ERROR, `URL address does not have the form "host:port": ${u}`);
    }
    if (match![3] !== '') throw new CtlExit(ExitCode.ERROR, `URL must not contain a path: ${u}`);
  }
  return urls;
}

const pad16 = (id: bigint): string => hexId(id).padStart(16, ' ');

function showMemberChange<R extends { header: pb.ResponseHeader | undefined; members: pb.Member[] }>(ctx: RunContext,
  r: R, codec: { encode(m: R): Uint8Array }, simple: string): void {
  display(ctx, { simple: () => println(ctx, simple), json: () => J.memberChangeJson(r),
    protobuf: () => codec.encode(r) });
}

async function runMemberAdd(ctx: RunContext, args: string[]): Promise<number> {
  if (args.length < 1) throw bad('member name not provided');
  if (args.length > 1) {
    throw bad(`too many arguments${args.filter((s) => s.toLowerCase().startsWith('http'))
      .map((s) => `, did you mean --peer-urls=${s}`).join('')}`);
  }
  const name = args[0]!;
  const peerText = ctx.flags.string('peer-urls');
  if (peerText === '') throw bad('member peer urls not provided');
  const peerURLs = peerText.split(',');
  await send(ctx.globals, async (c) => {
    checkPeerUrls(peerText);
    const r = await c.memberAdd({ peerURLs, isLearner: ctx.flags.bool('learner') });
    const newId = r.member?.ID ?? 0n;
    showMemberChange(ctx, r, pb.MemberAddResponse,
      `Member ${pad16(newId)} added to cluster ${pad16(r.header?.clusterId ?? 0n)}`);
    if (ctx.globals.writeOut !== 'simple') return;
    let list = await c.memberList();
    while (list.header?.memberId !== r.header?.memberId) {
      await c.range({ key: new TextEncoder().encode('_') });
      list = await c.memberList();
    }
    const conf = list.members.flatMap((m) => m.peerURLs.map((u) => `${m.ID === newId ? name : m.name}=${u}`));
    ctx.out.stdout(`\nETCD_NAME=${goQuote(name)}\nETCD_INITIAL_CLUSTER=${goQuote(conf.join(','))}\n` +
      `ETCD_INITIAL_ADVERTISE_PEER_URLS=${goQuote(peerURLs.join(','))}\nETCD_INITIAL_CLUSTER_STATE="existing"\n`);
  });
  return ExitCode.SUCCESS;
}

async function runMemberRemove(ctx: RunContext, args: string[]): Promise<number> {
  const ID = memberIdArg(args);
  const r = await send(ctx.globals, (c) => c.memberRemove({ ID }));
  showMemberChange(ctx, r, pb.MemberRemoveResponse,
    `Member ${pad16(ID)} removed from cluster ${pad16(r.header?.clusterId ?? 0n)}`);
  return ExitCode.SUCCESS;
}

async function runMemberUpdate(ctx: RunContext, args: string[]): Promise<number> {
  const ID = memberIdArg(args);
  const peerText = ctx.flags.string('peer-urls');
  if (peerText === '') throw bad('member peer urls not provided');
  const r = await send(ctx.globals, (c) => c.memberUpdate({ ID, peerURLs: peerText.split(',') }));
  showMemberChange(ctx, r, pb.MemberUpdateResponse, `Member ${pad16(ID)} updated in cluster ${pad16(r.header?.clusterId ?? 0n)}`);
  return ExitCode.SUCCESS;
}

async function runMemberPromote(ctx: RunContext, args: string[]): Promise<number> {
  const ID = memberIdArg(args);
  const r = await send(ctx.globals, (c) => c.memberPromote({ ID }));
  showMemberChange(ctx, r, pb.MemberPromoteResponse, `Member ${pad16(ID)} promoted in cluster ${pad16(r.header?.clusterId ?? 0n)}`);
  return ExitCode.SUCCESS;
}

/** The endpoint (of --endpoints) whose member is the leader, with its id; throws CtlExit when none is. */
export async function findLeader(ctx: RunContext, endpoints: string[]): Promise<{ endpoint: string; id: bigint }> {
  for (const endpoint of endpoints) {
    const status = await withClient(ctx.globals, (c) => c.status(), [endpoint])
      .catch((e: unknown) => { throw new CtlExit(ExitCode.ERROR, errorText(e)); });
    if (status.header?.memberId === status.leader) return { endpoint, id: status.leader };
  }
  throw bad(`no leader endpoint given at [${endpoints.join(' ')}]`);
}

async function runMoveLeader(ctx: RunContext, args: string[]): Promise<number> {
  if (args.length !== 1) throw bad('move-leader command needs 1 argument');
  let target: bigint;
  try {
    target = parseHexUint64(args[0]!);
  } catch (error) {
    throw bad((error as Error).message);
  }
  const leader = await findLeader(ctx, ctx.globals.endpoints);
  const r = await withClient(ctx.globals, (c) => c.moveLeader({ targetID: target }), [leader.endpoint])
    .catch((e: unknown) => { throw new CtlExit(ExitCode.ERROR, errorText(e)); });
  display(ctx, { simple: () => println(ctx, `Leadership transferred from ${hexId(leader.id)} to ${hexId(target)}`),
    json: () => J.headerOnlyJson(r), protobuf: () => pb.MoveLeaderResponse.encode(r) });
  return ExitCode.SUCCESS;
}

/** clientv3's AlarmDisarm of everything: list, then disarm each; the result has no header. */
export async function disarmAll(ctx: RunContext): Promise<pb.AlarmResponse> {
  return send(ctx.globals, async (c) => {
    const list = await c.alarm({ action: pb.AlarmRequest_AlarmAction.GET });
    const result = pb.AlarmResponse.create();
    for (const a of list.alarms) {
      const r = await c.alarm({ action: pb.AlarmRequest_AlarmAction.DEACTIVATE, memberID: a.memberID, alarm: a.alarm });
      result.alarms.push(...r.alarms);
    }
    return result;
  });
}

async function runAlarmDisarm(ctx: RunContext, args: string[]): Promise<number> {
  if (args.length !== 0) throw bad('alarm disarm command accepts no arguments');
  ctx.printer.alarm(await disarmAll(ctx));
  return ExitCode.SUCCESS;
}

/** Member subcommands (list stays in cluster.ts), move-leader and the alarm disarm leaf. */
export function memberCommands(): { member: CtlCommand[]; alarm: CtlCommand[]; root: CtlCommand[] } {
  return {
    member: [
      { name: 'add', use: 'add <memberName> [options]', short: 'Adds a member into the cluster', run: runMemberAdd,
        flags: [boolFlag('learner', 'indicates if the new member is raft learner'),
          stringFlag('peer-urls', '', 'comma separated peer URLs for the new member.')] },
      { name: 'promote', use: 'promote <memberID>', short: 'Promotes a non-voting member in the cluster',
        long: 'Promotes a non-voting learner member to a voting one in the cluster.\n', run: runMemberPromote },
      { name: 'remove', use: 'remove <memberID>', short: 'Removes a member from the cluster', run: runMemberRemove },
      { name: 'update', use: 'update <memberID> [options]', short: 'Updates a member in the cluster', run: runMemberUpdate,
        flags: [stringFlag('peer-urls', '', 'comma separated peer URLs for the updated member.')] },
    ],
    alarm: [{ name: 'disarm', use: 'disarm', short: 'Disarms all alarms', run: runAlarmDisarm }],
    root: [{ name: 'move-leader', use: 'move-leader <transferee-member-id>',
      short: 'Transfers leadership to another etcd cluster member.', run: runMoveLeader }],
  };
}
