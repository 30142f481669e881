/**
 * Golden cases for the commands added in session 2 (member changes, alarm disarm, move-leader,
 * lease keep-alive, watch, lock, elect, user/role/auth), run in order on their own server pair.
 * The auth cases come last and end with auth disabled.
 */
import { c } from './golden-cases.js';
import type { GoldenCase } from './golden-cases.js';
import type { Side } from './golden-support.js';

const added = (i: number) => (side: Side): string => (side.addedMembers?.[i] ?? 0n).toString(16);
const lease = (i: number) => (side: Side): string => (side.leases[i] ?? 0n).toString(16);
const rev = (delta: number) => (side: Side): string => String((side.revision ?? 0) + delta);
/** An exec command that prints the watch variables and kills its watch after the last event. */
const watchExec = (lastDelta: number) => (side: Side): string[] => ['sh', '-c',
  'echo "$ETCD_WATCH_REVISION $ETCD_WATCH_EVENT_TYPE $ETCD_WATCH_KEY $ETCD_WATCH_VALUE";' +
  ` if [ "$ETCD_WATCH_REVISION" = ${rev(lastDelta)(side)} ]; then kill $PPID; fi`];

const MEMBER_CASES: GoldenCase[] = [
  c(['member', 'add']),
  c(['member', 'add', 'x']),
  c(['member', 'add', 'x', 'http://a:1', 'y']),
  c(['member', 'add', 'x', '--peer-urls=foo']),
  c(['member', 'add', 'm3', '--peer-urls=http://127.0.0.1:1', '--learner'], { learnMember: true }),
  c(['member', 'add', 'm4', '--peer-urls=http://127.0.0.1:2', '--learner']),
  // (member lists are in random id order here: the learner's id is random)
  { name: 'member update learner', args: (s) => ['member', 'update', added(0)(s), '--peer-urls=http://127.0.0.1:9'] },
  { name: 'member promote learner', args: (s) => ['member', 'promote', added(0)(s)] },
  c(['member', 'remove', 'zz']),
  c(['member', 'remove']),
  c(['member', 'update', '12']),
  c(['member', 'promote']),
  { name: 'member remove learner', args: (s) => ['member', 'remove', added(0)(s)] },
  c(['member', 'list', '-w', 'json']),
  c(['member', 'remove', '1234']),
  c(['member', 'add', 'm5', '--peer-urls=http://127.0.0.1:3', '--learner', '-w', 'json'], { learnMember: true }),
  c(['alarm', 'list']),
  { name: 'member remove learner json', args: (s) => ['member', 'remove', added(1)(s), '-w', 'json'] },
  c(['alarm', 'disarm']),
  c(['alarm', 'disarm', '-w', 'json']),
  c(['alarm', 'disarm', 'x']),
  c(['move-leader']),
  c(['move-leader', 'zz']),
  { name: 'move-leader self', args: (s) => ['move-leader', s.memberId.toString(16)] },
  { name: 'move-leader self json', args: (s) => ['move-leader', s.memberId.toString(16), '-w', 'json'] },
  c(['move-leader', '1234']),
];

const LEASE_CASES: GoldenCase[] = [
  c(['lease', 'grant', '100']),
  { name: 'lease keep-alive --once', args: (s) => ['lease', 'keep-alive', '--once', lease(0)(s)] },
  { name: 'lease keep-alive --once json', args: (s) => ['lease', 'keep-alive', '--once', lease(0)(s), '-w', 'json'] },
  { name: 'lease keep-alive --once fields', args: (s) => ['lease', 'keep-alive', '--once', lease(0)(s), '-w', 'fields'] },
  { name: 'lease keep-alive --once table', args: (s) => ['lease', 'keep-alive', '--once', lease(0)(s), '-w', 'table'] },
  c(['lease', 'keep-alive', '--once', '1234']),
  c(['lease', 'keep-alive']),
  c(['lease', 'keep-alive', 'zz']),
  { name: 'lease revoke', args: (s) => ['lease', 'revoke', lease(0)(s)] },
];

const WATCH_CASES: GoldenCase[] = [
  c(['watch']),
  c(['watch', '--prefix', 'a', 'b']),
  c(['watch', 'x', '--']),
  c(['put', 'w/1', 'one']),
  c(['put', 'w/2', 'two']),
  c(['put', 'w/1', 'uno']),
  c(['del', 'w/1']),
  c(['get', 'w/2', '-w', 'json'], { learnRevision: true }),
  { name: 'watch history exec', args: (s) => ['watch', '--prefix', 'w/', '--rev', rev(-3)(s), '--', ...watchExec(0)(s)] },
  { name: 'watch history prev-kv', args: (s) => ['watch', '--prefix', 'w/', '--prev-kv', '--rev', rev(-3)(s), '--', ...watchExec(0)(s)] },
  { name: 'watch history json', args: (s) => ['watch', 'w/1', '-w', 'json', '--rev', rev(-3)(s), '--', ...watchExec(0)(s)] },
  { name: 'watch history fields', args: (s) => ['watch', 'w/1', 'w/3', '-w', 'fields', '--rev', rev(-3)(s), '--', ...watchExec(0)(s)] },
  { name: 'watch history hex', args: (s) => ['watch', 'w/2', '--hex', '--rev', rev(-2)(s), '--', ...watchExec(-2)(s)] },
  { name: 'watch env key', args: (s) => ['watch', '--rev', rev(-3)(s), '--', ...watchExec(0)(s)], env: { ETCDCTL_WATCH_KEY: 'w/1' } },
  { name: 'compaction for watch', args: (s) => ['compaction', rev(-1)(s)] },
  c(['compact', '1']),
  { name: 'watch compacted', args: (s) => ['watch', 'w/1', '--rev', rev(-3)(s)] },
  c(['watch', '-i'], { stdin: 'watch\nbogus\nget x\n' }),
  c(['lock']),
  c(['lock', 'golden-lock', 'echo', 'locked']),
  c(['lock', 'golden-lock', 'nonexistent-command-xyz']),
  c(['lock', 'golden-lock', '--', 'sh', '-c', 'exit 3']),
  c(['lock', 'golden-lock', '--ttl', '5', '--', 'sh', '-c', 'echo "$ETCD_LOCK_KEY" | cut -d/ -f1']),
  c(['elect']),
  c(['elect', 'e1']),
  c(['elect', 'a', 'b', 'c']),
  c(['make-mirror']),
  c(['make-mirror', '--no-dest-prefix', '--dest-prefix', 'x', '127.0.0.1:1']),
];

const AUTH_CASES: GoldenCase[] = [
  c(['user', 'add', 'root:rootpw']),
  c(['user', 'add', 'u1', '--new-user-password=p1', '-w', 'json']),
  c(['user', 'add', 'u1:x']),
  c(['user', 'add']),
  c(['user', 'add', 'u2', '--interactive=false'], { stdin: 'pw2 extra\n' }),
  c(['user', 'add', ':x']),
  c(['user', 'list']),
  c(['user', 'list', '-w', 'json']),
  c(['user', 'list', '-w', 'table']),
  c(['user', 'list', 'x']),
  c(['role', 'add', 'r1']),
  c(['role', 'add', 'r1']),
  c(['role', 'add']),
  c(['role', 'list', '-w', 'json']),
  c(['role', 'grant-permission', 'r1', 'readwrite', '/foo']),
  c(['role', 'grant-permission', 'r1', 'read', '/a', '/b']),
  c(['role', 'grant-permission', 'r1', 'write', '/p', '--prefix']),
  c(['role', 'grant-permission', 'r1', '--from-key', 'READ', 'k']),
  c(['role', 'grant-permission', 'r1', 'bad', 'k']),
  c(['role', 'grant-permission', 'r1', 'read', 'k', 'e', '--prefix']),
  c(['role', 'grant-permission', 'r1', 'read', 'k', '--prefix', '--from-key']),
  c(['role', 'grant-permission', 'r1', 'read']),
  c(['role', 'grant-permission', 'nope', 'read', 'k']),
  c(['role', 'get', 'r1']),
  c(['role', 'get', 'r1', '-w', 'json']),
  c(['role', 'get', 'r1', '-w', 'fields']),
  c(['role', 'get', 'nope']),
  c(['user', 'grant-role', 'u1', 'r1']),
  c(['user', 'grant-role', 'u1']),
  c(['user', 'get', 'u1']),
  c(['user', 'get', 'u1', '--detail']),
  c(['user', 'get', 'u1', '-w', 'json']),
  c(['user', 'get', 'u1', '--detail', '-w', 'json']),
  c(['user', 'get', 'nope']),
  c(['user', 'revoke-role', 'u1', 'r1']),
  c(['user', 'revoke-role', 'u1', 'r1']),
  c(['user', 'grant-role', 'u1', 'r1']),
  c(['role', 'revoke-permission', 'r1', '/foo']),
  c(['role', 'revoke-permission', 'r1', '/a', '/b']),
  c(['role', 'revoke-permission', 'r1', '/p', '--prefix']),
  c(['role', 'revoke-permission', 'r1', '/zz']),
  c(['role', 'revoke-permission', 'r1']),
  c(['user', 'passwd', 'u1', '--interactive=false'], { stdin: 'newpw\n' }),
  c(['user', 'passwd']),
  c(['auth', 'enable', 'x']),
  c(['auth', 'enable']),
  c(['get', 'k']),
  c(['--user', 'root:rootpw', 'get', 'k']),
  c(['--user', 'root', '--password', 'rootpw', 'user', 'list']),
  c(['--user', 'root:bad', 'get', 'k']),
  c(['--user', 'u1:newpw', 'get', 'k']),
  c(['--user', 'u1:newpw', 'put', 'k', 'v']),
  c(['--user', 'u1:newpw', 'role', 'list']),
  c(['--user', 'root:rootpw', 'auth', 'disable', '-w', 'json']),
  c(['auth', 'disable']),
  c(['user', 'delete', 'u1']),
  c(['role', 'delete', 'r1']),
  c(['user', 'delete', 'nope']),
  c(['user', 'delete', 'root', '-w', 'json']),
];

/** Every extended case, in execution order. */
export const GOLDEN_CASES_EXT: readonly GoldenCase[] = [...MEMBER_CASES, ...LEASE_CASES, ...WATCH_CASES, ...AUTH_CASES];
