/** `auth enable|disable`, `user add|delete|get|list|passwd|grant-role|revoke-role`, `role *`. */
import * as authpb from '../../../proto/gen/authpb.js';
import * as pb from '../../../proto/gen/etcdserverpb.js';
import type { EtcdClient } from '../../../client/index.js';
import type { CtlCommand, RunContext } from '../command.js';
import { send } from '../connect.js';
import { CtlExit, ExitCode } from '../errors.js';
import { goQuote } from '../go-format.js';
import * as J from '../printers/json-extra.js';
import { display, println } from './display.js';
import { boolFlag, stringFlag } from './flags.js';
import { prefixRangeEnd } from './kv-options.js';
import { readPassword, scanWord } from './password.js';
import { fieldsHeader } from './watch-print.js';

const dec = (b: Uint8Array): string => Buffer.from(b).toString('utf8');
const bad = (text: string): CtlExit => new CtlExit(ExitCode.BAD_ARGS, text);

/** Prints a response that has only a header: simple text, json, protobuf. */
function showHeaderOnly<R extends { header: pb.ResponseHeader | undefined }>(ctx: RunContext, r: R,
  codec: { encode(m: R): Uint8Array }, text: string): void {
  display(ctx, { simple: () => println(ctx, text), json: () => J.headerOnlyJson(r), protobuf: () => codec.encode(r),
    fields: () => ctx.out.stdout(fieldsHeader(r.header)) });
}

/** etcd's error when auth is enabled before the root role exists (etcdctl then creates it). */
const ROOT_ROLE_MISSING = 'etcdserver: root user does not have root role';

async function runAuth(ctx: RunContext, args: string[], enable: boolean): Promise<number> {
  if (args.length !== 0) throw bad(`auth ${enable ? 'enable' : 'disable'} command does not accept any arguments`);
  if (!enable) {
    await send(ctx.globals, (c) => c.authDisable());
    println(ctx, 'Authentication Disabled');
    return ExitCode.SUCCESS;
  }
  await send(ctx.globals, async (c) => {
    try {
      await c.authEnable();
    } catch (error) {
      if (!(error instanceof Error) || error.message !== ROOT_ROLE_MISSING) throw error;
      await c.roleAdd({ name: 'root' });
      await c.userGrantRole({ user: 'root', role: 'root' });
      await c.authEnable();
    }
  });
  println(ctx, 'Authentication Enabled');
  return ExitCode.SUCCESS;
}

async function runUserAdd(ctx: RunContext, args: string[]): Promise<number> {
  if (args.length !== 1) throw bad('user add command requires user name as its argument');
  const arg = args[0]!;
  const noPassword = ctx.flags.bool('no-password');
  const fromFlag = ctx.flags.string('new-user-password');
  let name = arg;
  let password = '';
  if (!noPassword) {
    if (fromFlag !== '') password = fromFlag;
    else if (arg.includes(':')) {
      name = arg.slice(0, arg.indexOf(':'));
      password = arg.slice(arg.indexOf(':') + 1);
      if (name === '') throw bad('empty user name is not allowed');
    } else if (ctx.flags.bool('interactive')) password = await readPassword(ctx, arg, true);
    else password = await scanWord();
  }
  const r = await send(ctx.globals, (c) => c.userAdd({ name, password,
    options: authpb.UserAddOptions.create({ noPassword }) }));
  showHeaderOnly(ctx, r, pb.AuthUserAddResponse, `User ${name} created`);
  return ExitCode.SUCCESS;
}

async function runUserDelete(ctx: RunContext, args: string[]): Promise<number> {
  if (args.length !== 1) throw bad('user delete command requires user name as its argument');
  const r = await send(ctx.globals, (c) => c.userDelete({ name: args[0]! }));
  showHeaderOnly(ctx, r, pb.AuthUserDeleteResponse, `User ${args[0]!} deleted`);
  return ExitCode.SUCCESS;
}

function showRole(ctx: RunContext, role: string, r: pb.AuthRoleGetResponse): void {
  display(ctx, {
    simple: () => {
      let text = `Role ${role}\nKV Read:\n`;
      const line = (p: authpb.Permission): string => {
        const key = dec(p.key);
        const end = dec(p.rangeEnd);
        if (end === '') return `\t${key}\n`;
        const range = end === '\x00' ? `\t[${key}, <open ended>` : `\t[${key}, ${end})`;
        return range + (dec(prefixRangeEnd(p.key)) === end ? ` (prefix ${key})` : '') + '\n';
      };
      const { READ, WRITE, READWRITE } = authpb.Permission_Type;
      for (const p of r.perm) if (p.permType === READ || p.permType === READWRITE) text += line(p);
      text += 'KV Write:\n';
      for (const p of r.perm) if (p.permType === WRITE || p.permType === READWRITE) text += line(p);
      ctx.out.stdout(text);
    },
    json: () => J.roleGetJson(r),
    protobuf: () => pb.AuthRoleGetResponse.encode(r),
    fields: () => {
      const names = ['READ', 'WRITE', 'READWRITE'];
      ctx.out.stdout(fieldsHeader(r.header) + r.perm.map((p) => `"PermType" :  ${names[p.permType] ?? p.permType}\n` +
        `"Key" : ${goQuote(p.key)}\n"RangeEnd" : ${goQuote(p.rangeEnd)}\n`).join(''));
    },
  });
}

async function runUserGet(ctx: RunContext, args: string[]): Promise<number> {
  if (args.length !== 1) throw bad('user get command requires user name as its argument');
  const name = args[0]!;
  await send(ctx.globals, async (c) => {
    const r = await c.userGet({ name });
    if (ctx.flags.bool('detail')) {
      println(ctx, `User: ${name}`);
      for (const role of r.roles) {
        println(ctx, '');
        showRole(ctx, role, await c.roleGet({ role }));
      }
      return;
    }
    display(ctx, { simple: () => println(ctx, `User: ${name}\nRoles:${r.roles.map((x) => ` ${x}`).join('')}`),
      json: () => J.userGetJson(r), protobuf: () => pb.AuthUserGetResponse.encode(r) });
  });
  return ExitCode.SUCCESS;
}

async function runUserList(ctx: RunContext, args: string[]): Promise<number> {
  if (args.length !== 0) throw bad('user list command requires no arguments');
  const r = await send(ctx.globals, (c) => c.userList());
  display(ctx, { simple: () => { for (const u of r.users) println(ctx, u); }, json: () => J.userListJson(r),
    protobuf: () => pb.AuthUserListResponse.encode(r) });
  return ExitCode.SUCCESS;
}

async function runUserPasswd(ctx: RunContext, args: string[]): Promise<number> {
  if (args.length !== 1) throw bad('user passwd command requires user name as its argument');
  const name = args[0]!;
  const password = ctx.flags.bool('interactive') ? await readPassword(ctx, name, true) : await scanWord();
  const r = await send(ctx.globals, (c) => c.userChangePassword({ name, password }));
  showHeaderOnly(ctx, r, pb.AuthUserChangePasswordResponse, 'Password updated');
  return ExitCode.SUCCESS;
}

async function runUserRole(ctx: RunContext, args: string[], grant: boolean): Promise<number> {
  if (args.length !== 2) {
    throw bad(`user ${grant ? 'grant' : 'revoke'} command requires user name and role name as its argument`);
  }
  const [user, role] = [args[0]!, args[1]!];
  if (grant) {
    const r = await send(ctx.globals, (c) => c.userGrantRole({ user, role }));
    showHeaderOnly(ctx, r, pb.AuthUserGrantRoleResponse, `Role ${role} is granted to user ${user}`);
  } else {
    const r = await send(ctx.globals, (c) => c.userRevokeRole({ name: user, role }));
    showHeaderOnly(ctx, r, pb.AuthUserRevokeRoleResponse, `Role ${role} is revoked from user ${user}`);
  }
  return ExitCode.SUCCESS;
}

function roleNameCommand(verb: 'add' | 'delete' | 'get', body: (c: EtcdClient, ctx: RunContext, role: string) =>
  Promise<void>): (ctx: RunContext, args: string[]) => Promise<number> {
  return async (ctx, args) => {
    if (args.length !== 1) throw bad(`role ${verb} command requires role name as its argument`);
    await send(ctx.globals, (c) => body(c, ctx, args[0]!));
    return ExitCode.SUCCESS;
  };
}

async function runRoleList(ctx: RunContext, args: string[]): Promise<number> {
  if (args.length !== 0) throw bad('role list command requires no arguments');
  const r = await send(ctx.globals, (c) => c.roleList());
  display(ctx, { simple: () => { for (const x of r.roles) println(ctx, x); }, json: () => J.roleListJson(r),
    protobuf: () => pb.AuthRoleListResponse.encode(r),
    fields: () => ctx.out.stdout(`${fieldsHeader(r.header)}"Roles" :${r.roles.map((x) => ` ${goQuote(x)}`).join('')}\n`) });
  return ExitCode.SUCCESS;
}

/** etcdctl's permRange: the key and range end a grant/revoke applies to. Throws CtlExit (bad args). */
function permRange(ctx: RunContext, args: string[]): [string, string] {
  const prefix = ctx.flags.bool('prefix');
  const fromKey = ctx.flags.bool('from-key');
  const key = args[0]!;
  if (key === '') {
    if (prefix && fromKey) throw bad('--from-key and --prefix flags are mutually exclusive');
    return ['\x00', prefix || fromKey ? '\x00' : ''];
  }
  if (args.length === 1) {
    if (prefix) {
      if (fromKey) throw bad('--from-key and --prefix flags are mutually exclusive');
      return [key, dec(prefixRangeEnd(Buffer.from(key)))];
    }
    return [key, fromKey ? '\x00' : ''];
  }
  if (prefix) throw bad('unexpected endkey argument with --prefix flag');
  if (fromKey) throw bad('unexpected endkey argument with --from-key flag');
  return [key, args[1]!];
}

const PERM_TYPES: Readonly<Record<string, number>> = { READ: 0, WRITE: 1, READWRITE: 2 };

async function runGrantPermission(ctx: RunContext, args: string[]): Promise<number> {
  if (args.length < 3) {
    throw bad('role grant command requires role name, permission type, and key [endkey] as its argument');
  }
  const permType = PERM_TYPES[args[1]!.toUpperCase()];
  if (permType === undefined) throw bad(`invalid permission type: ${args[1]!}`);
  const [key, end] = permRange(ctx, args.slice(2));
  const perm = authpb.Permission.create({ permType, key: Buffer.from(key), rangeEnd: Buffer.from(end) });
  const r = await send(ctx.globals, (c) => c.roleGrantPermission({ name: args[0]!, perm }));
  showHeaderOnly(ctx, r, pb.AuthRoleGrantPermissionResponse, `Role ${args[0]!} updated`);
  return ExitCode.SUCCESS;
}

async function runRevokePermission(ctx: RunContext, args: string[]): Promise<number> {
  if (args.length < 2) throw bad('role revoke-permission command requires role name and key [endkey] as its argument');
  const [key, end] = permRange(ctx, args.slice(1));
  const r = await send(ctx.globals, (c) => c.roleRevokePermission({ role: args[0]!,
    key: Buffer.from(key), rangeEnd: Buffer.from(end) }));
  const role = args[0]!;
  const what = end === '' ? `key ${args[1]!}` : end === '\x00' ? `range [${args[1]!}, <open ended>`
    : `range [${args[1]!}, ${end})`;
  showHeaderOnly(ctx, r, pb.AuthRoleRevokePermissionResponse, `Permission of ${what} is revoked from role ${role}`);
  return ExitCode.SUCCESS;
}

const PERM_FLAGS = (verb: string): ReturnType<typeof boolFlag>[] => [
  boolFlag('from-key', `${verb} a permission of keys that are greater than or equal to the given key using byte compare`),
  boolFlag('prefix', `${verb} a prefix permission`),
];

/** The auth, user and role command groups. */
export function authCommands(): CtlCommand[] {
  const yes = (name: string, usage: string): ReturnType<typeof boolFlag> => ({ ...boolFlag(name, usage), defaultText: 'true' });
  return [
    { name: 'auth', use: 'auth <enable or disable>', short: 'Enable or disable authentication', children: [
      { name: 'disable', use: 'disable', short: 'Disables authentication', run: (ctx, a) => runAuth(ctx, a, false) },
      { name: 'enable', use: 'enable', short: 'Enables authentication', run: (ctx, a) => runAuth(ctx, a, true) },
    ] },
    { name: 'user', use: 'user <subcommand>', short: 'User related commands', children: [
      { name: 'add', use: 'add <user name or user:password> [options]', short: 'Adds a new user', run: runUserAdd,
        flags: [yes('interactive', 'Read password from stdin instead of interactive terminal'),
          stringFlag('new-user-password', '', 'Supply password from the command line flag'),
          boolFlag('no-password', 'Create a user without password (CN based auth only)')] },
      { name: 'delete', use: 'delete <user name>', short: 'Deletes a user', run: runUserDelete },
      { name: 'get', use: 'get <user name> [options]', short: 'Gets detailed information of a user', run: runUserGet,
        flags: [boolFlag('detail', 'Show permissions of roles granted to the user')] },
      { name: 'grant-role', use: 'grant-role <user name> <role name>', short: 'Grants a role to a user',
        run: (ctx, a) => runUserRole(ctx, a, true) },
      { name: 'list', use: 'list', short: 'Lists all users', run: runUserList },
      { name: 'passwd', use: 'passwd <user name> [options]', short: 'Changes password of user', run: runUserPasswd,
        flags: [yes('interactive', 'If true, read password from stdin instead of interactive terminal')] },
      { name: 'revoke-role', use: 'revoke-role <user name> <role name>', short: 'Revokes a role from a user',
        run: (ctx, a) => runUserRole(ctx, a, false) },
    ] },
    { name: 'role', use: 'role <subcommand>', short: 'Role related commands', children: [
      { name: 'add', use: 'add <role name>', short: 'Adds a new role', run: roleNameCommand('add', async (c, ctx, role) => {
        showHeaderOnly(ctx, await c.roleAdd({ name: role }), pb.AuthRoleAddResponse, `Role ${role} created`);
      }) },
      { name: 'delete', use: 'delete <role name>', short: 'Deletes a role', run: roleNameCommand('delete',
        async (c, ctx, role) => {
          showHeaderOnly(ctx, await c.roleDelete({ role }), pb.AuthRoleDeleteResponse, `Role ${role} deleted`);
        }) },
      { name: 'get', use: 'get <role name>', short: 'Gets detailed information of a role', run: roleNameCommand('get',
        async (c, ctx, role) => { showRole(ctx, role, await c.roleGet({ role })); }) },
      { name: 'grant-permission', use: 'grant-permission [options] <role name> <permission type> <key> [endkey]',
        short: 'Grants a key to a role', flags: PERM_FLAGS('grant'), run: runGrantPermission },
      { name: 'list', use: 'list', short: 'Lists all roles', run: runRoleList },
      { name: 'revoke-permission', use: 'revoke-permission <role name> <key> [endkey]', short: 'Revokes a key from a role',
        flags: PERM_FLAGS('revoke'), run: runRevokePermission },
    ] },
  ];
}

