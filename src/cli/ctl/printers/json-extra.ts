/**
 * Go encoding/json of the responses added after the first printers: auth, user, role, member
 * changes, watch (clientv3.WatchResponse), keep-alive (clientv3.LeaseKeepAliveResponse), election.
 */
import type * as authpb from '../../../proto/gen/authpb.js';
import type * as pb from '../../../proto/gen/etcdserverpb.js';
import type * as el from '../../../proto/gen/v3electionpb.js';
import { goJsonString } from '../go-format.js';
import { headerObject, JsonObject, keyValueJson, memberJson } from './json-encode.js';

const header = (h: pb.ResponseHeader | undefined): string | undefined => headerObject(h)?.toString();

/** Any response that carries only a header. */
export function headerOnlyJson(r: { header: pb.ResponseHeader | undefined }): string {
  return new JsonObject().raw('header', header(r.header)).toString();
}

export function userGetJson(r: pb.AuthUserGetResponse): string {
  return new JsonObject().raw('header', header(r.header)).array('roles', r.roles, goJsonString).toString();
}

export function userListJson(r: pb.AuthUserListResponse): string {
  return new JsonObject().raw('header', header(r.header)).array('users', r.users, goJsonString).toString();
}

export function roleListJson(r: pb.AuthRoleListResponse): string {
  return new JsonObject().raw('header', header(r.header)).array('roles', r.roles, goJsonString).toString();
}

export function permissionJson(p: authpb.Permission): string {
  return new JsonObject().int('permType', p.permType).bytes('key', p.key).bytes('range_end', p.rangeEnd).toString();
}

export function roleGetJson(r: pb.AuthRoleGetResponse): string {
  return new JsonObject().raw('header', header(r.header)).array('perm', r.perm, permissionJson).toString();
}

/** MemberAdd/Remove/Update/Promote responses. */
export function memberChangeJson(r: { header: pb.ResponseHeader | undefined; member?: pb.Member | undefined;
  members: pb.Member[] }): string {
  return new JsonObject().raw('header', header(r.header))
    .raw('member', r.member === undefined ? undefined : memberJson(r.member))
    .array('members', r.members, memberJson).toString();
}

/** clientv3.WatchResponse: Header (always), Events, CompactRevision, Canceled, Created (no omitempty). */
export function watchJson(r: pb.WatchResponse): string {
  const event = (e: { type: number; kv: pb.WatchResponse['events'][number]['kv']; prevKv: typeof e.kv }): string =>
    new JsonObject().int('type', e.type).raw('kv', e.kv === undefined ? undefined : keyValueJson(e.kv))
      .raw('prev_kv', e.prevKv === undefined ? undefined : keyValueJson(e.prevKv)).toString();
  const events = r.events.length === 0 ? 'null' : `[${r.events.map(event).join(',')}]`;
  return new JsonObject().raw('Header', header(r.header) ?? '{}').raw('Events', events)
    .int('CompactRevision', r.compactRevision, true).raw('Canceled', String(r.canceled))
    .raw('Created', String(r.created)).toString();
}

/** clientv3.LeaseKeepAliveResponse: embedded header, ID, TTL (no omitempty). */
export function keepAliveJson(r: pb.LeaseKeepAliveResponse): string {
  return new JsonObject().embed(headerObject(r.header)).int('ID', r.ID, true).int('TTL', r.TTL, true).toString();
}

export function leaderJson(r: el.LeaderResponse): string {
  return new JsonObject().raw('header', header(r.header))
    .raw('kv', r.kv === undefined ? undefined : keyValueJson(r.kv)).toString();
}
