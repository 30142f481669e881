/**
 * The command lines the golden test runs, in order (each side replays the same sequence against its
 * own fresh etcd, so state-changing commands keep both servers identical).
 */
import type { ProtobufKind } from './golden-protobuf.js';
import type { Side } from './golden-support.js';

export interface GoldenCase {
  name: string;
  args: readonly string[] | ((side: Side) => readonly string[]);
  stdin?: string;
  /** Run without ETCDCTL_ENDPOINTS (for --endpoints cases). */
  noEndpointEnv?: boolean;
  /** Normalise remaining TTLs (timing dependent). */
  ttl?: boolean;
  /** Normalise `endpoint status` db sizes (bbolt growth timing differs between servers). */
  dbSize?: boolean;
  /** stdout is `-w protobuf` output of this message kind (compared structurally). */
  protobuf?: ProtobufKind;
  /** Extra environment variables for the run. */
  env?: Record<string, string>;
  /** Record the id a `member add` prints (Side.addedMembers, normalised as <addedN>). */
  learnMember?: boolean;
  /** Record the first `"revision":N` of stdout in Side.revision. */
  learnRevision?: boolean;
}

export const c = (args: readonly string[], extra: Partial<GoldenCase> = {}): GoldenCase =>
  ({ name: args.join(' ') || '(no args)', args, ...extra });

const lease = (i: number) => (side: Side): string => (side.leases[i] ?? 0n).toString(16);
const UNREACHABLE = ['--endpoints=127.0.0.1:1', '--command-timeout=1s'];

const KV_CASES: GoldenCase[] = [
  c(['put', 'foo', 'bar']),
  c(['put', 'foo2', 'hello world', '--prev-kv']),
  c(['put', 'foo', 'baz', '--prev-kv']),
  c(['put', 'foo', 'q', '--prev-kv', '-w', 'json']),
  c(['put', 'foo', 'r', '--prev-kv', '-w', 'fields']),
  c(['put', 'foo', 's', '-w', 'protobuf'], { protobuf: 'put' }),
  c(['put', 'quoted', 'h\u00e9llo\t"q"\\ <&>']),
  c(['put', 'quoted', 'x', '--prev-kv', '-w', 'fields']),
  c(['put', 'k3'], { stdin: 'from stdin\n' }),
  c(['put', 'k4']),
  c(['put']),
  c(['put', '--', '-dash', '-v']),
  c(['put', 'a', 'b', 'c']),
  c(['put', 'x', 'y', '--lease', 'zz']),
  c(['put', 'x', '--ignore-value', 'y']),
  c(['get', 'foo']),
  c(['get', 'foo', '-w', 'json']),
  c(['get', 'foo', '-w', 'fields']),
  c(['get', 'foo', '-w', 'protobuf'], { protobuf: 'range' }),
  c(['get', 'foo', '-w', 'table']),
  c(['get', 'foo', '-w', 'xml']),
  c(['get', '--prefix', 'f']),
  c(['get', '--prefix', '']),
  c(['get', '--from-key', 'a', '--limit', '2', '-w', 'json']),
  c(['get', '--from-key', '']),
  c(['get', 'foo', 'foo3']),
  c(['get', '--prefix', 'f', '--keys-only']),
  c(['get', '--prefix', 'f', '--print-value-only']),
  c(['get', '--prefix', 'f', '--print-value-only', '-w', 'json']),
  c(['get', '--prefix', '', '--sort-by=VALUE', '--order=DESCEND']),
  c(['get', '--prefix', '', '--sort-by=modify', '--order=ascend', '-w', 'json']),
  c(['get', '--prefix', '', '--sort-by=CREATE', '--limit=2']),
  c(['get', 'foo', '--hex']),
  c(['get', '--hex', '--prefix', 'f', '-w', 'json']),
  c(['get', '--consistency=s', 'foo']),
  c(['get', '--rev', '2', 'foo']),
  c(['get', '--rev=3', '--prefix', 'f', '-w', 'fields']),
  c(['get', 'nokey', '-w', 'json']),
  c(['get', 'x', '--sort-by=foo']),
  c(['get', 'x', '--order=foo']),
  c(['get', 'x', '--consistency=z']),
  c(['get']),
  c(['get', '--prefix', '--from-key', 'a']),
  c(['get', '--prefix', 'a', 'b']),
  c(['get', 'foo', '--limit', 'abc']),
  c(['-w', 'json', 'get', 'foo']),
  c(['get', '-wjson', 'foo']),
  c(['get', '-w=fields', 'foo']),
  c(['--hex=true', 'get', 'foo']),
  c(['del', 'foo2', '--prev-kv']),
  c(['del', 'nokey']),
  c(['del', 'nokey', '-w', 'json']),
  c(['del', '--prefix', 'k', '-w', 'json', '--prev-kv']),
  c(['del', 'a', '-w', 'fields', '--prev-kv']),
  c(['put', 'a', '1']),
  c(['del', 'a', '-w', 'protobuf'], { protobuf: 'del' }),
  c(['del']),
  c(['del', 'a', 'b', 'c']),
  c(['del', '--from-key', 'zzz']),
];

const TXN_1 = 'mod("foo") > "0"\n\nput a 1\nget foo\n\ndel a\n\n';
const TXN_2 = 'val("foo") = "nope"\n\nput a 1\n\nget foo\nput "b c" "d e"\n\n';
const TXN_3 = 'ver("foo") != "5"\nc("foo") < "100"\nvalue("foo") = "s"\n\nput --prev-kv foo q\nget --prefix foo\n' +
  'del --prev-kv foo2\n\n\n';

const TXN_CASES: GoldenCase[] = [
  c(['txn'], { stdin: TXN_1 }),
  c(['txn', '-w', 'json'], { stdin: TXN_1 }),
  c(['txn', '-w', 'fields'], { stdin: TXN_1 }),
  c(['txn'], { stdin: TXN_2 }),
  c(['txn', '-w', 'json'], { stdin: TXN_2 }),
  c(['txn', '-w', 'protobuf'], { stdin: TXN_2, protobuf: 'txn' }),
  c(['txn', '-w', 'table'], { stdin: TXN_2 }),
  c(['txn'], { stdin: TXN_3 }),
  c(['txn', '-i'], { stdin: TXN_1 }),
  c(['txn', '--interactive'], { stdin: TXN_2 }),
  c(['txn'], { stdin: '\n\n\n' }),
  c(['txn'], { stdin: 'mod("foo") > "0"\n\nput a 1\n' }),
  c(['txn'], { stdin: 'bad("foo") = "x"\n\n\n\n' }),
  c(['txn'], { stdin: 'mod(foo) > "0"\n\n\n\n' }),
  c(['txn'], { stdin: 'mod("foo") > 0\n\n\n\n' }),
  c(['txn'], { stdin: 'mod("foo") > "x"\n\n\n\n' }),
  c(['txn'], { stdin: 'nope\n\n\n\n' }),
  c(['txn'], { stdin: '\nfoo a\n\n\n' }),
  c(['txn'], { stdin: '\nfoo\n\n\n' }),
  c(['txn', 'extra'], { stdin: '\n\n\n' }),
];

const MAINTENANCE_CASES: GoldenCase[] = [
  c(['compaction', '3']),
  c(['compaction', '3', '-w', 'json']),
  c(['compaction', '1']),
  c(['compaction', 'abc']),
  c(['compaction']),
  c(['compaction', '5', '6']),
  c(['compaction', '--physical', '4']),
  c(['compaction', '100000']),
  c(['endpoint', 'status'], { dbSize: true }),
  c(['endpoint', 'status', '-w', 'json'], { dbSize: true }),
  c(['endpoint', 'status', '-w', 'table'], { dbSize: true }),
  c(['endpoint', 'status', '-w', 'fields'], { dbSize: true }),
  c(['endpoint', 'status', '-w', 'protobuf']),
  c(['endpoint', 'status', '--cluster', '-w', 'table'], { dbSize: true }),
  c(['endpoint', 'health']),
  c(['endpoint', 'health', '-w', 'json']),
  c(['endpoint', 'health', '-w', 'table']),
  c(['endpoint', 'health', '-w', 'fields']),
  c(['endpoint', 'health', '-w', 'protobuf']),
  c(['endpoint', '--cluster', 'health']),
  c(['endpoint', 'hashkv']),
  c(['endpoint', 'hashkv', '-w', 'json']),
  c(['endpoint', 'hashkv', '-w', 'table']),
  c(['endpoint', 'hashkv', '-w', 'fields']),
  c(['endpoint', 'hashkv', '--rev', '5']),
  c(['endpoint', 'hashkv', '--cluster']),
  c(['member', 'list']),
  c(['member', 'list', '-w', 'json']),
  c(['member', 'list', '-w', 'json', '--hex']),
  c(['member', 'list', '-w', 'table']),
  c(['member', 'list', '-w', 'fields']),
  c(['member', 'list', '-w', 'protobuf'], { protobuf: 'members' }),
  c(['alarm', 'list']),
  c(['alarm', 'list', '-w', 'json']),
  c(['alarm', 'list', 'x']),
  c(['defrag']),
  c(['defrag', '-w', 'json']),
  c(['defrag', '--cluster']),
  c(['version']),
  c(['version', 'a']),
];

const LEASE_CASES: GoldenCase[] = [
  c(['lease', 'grant', '1000']),
  c(['lease', 'grant', '1000', '-w', 'json']),
  c(['lease', 'grant', '1000', '-w', 'fields']),
  c(['lease', 'grant', '1000', '-w', 'protobuf'], { protobuf: 'header' }),
  c(['lease', 'grant']),
  c(['lease', 'grant', 'abc']),
  c(['lease', 'list']),
  c(['lease', 'list', '-w', 'json']),
  c(['lease', 'list', '-w', 'fields']),
  { name: 'put --lease', args: (s) => ['put', 'leased', 'v', '--lease', lease(0)(s)] },
  { name: 'put --lease json', args: (s) => ['put', 'leased2', 'v', '--lease', lease(1)(s), '-w', 'json'] },
  { name: 'get leased json', args: ['get', 'leased', '-w', 'json'] },
  { name: 'timetolive', args: (s) => ['lease', 'timetolive', lease(1)(s)], ttl: true },
  { name: 'timetolive json', args: (s) => ['lease', 'timetolive', lease(1)(s), '-w', 'json'], ttl: true },
  { name: 'timetolive --keys', args: (s) => ['lease', 'timetolive', lease(0)(s), '--keys'], ttl: true },
  { name: 'timetolive --keys json', args: (s) => ['lease', 'timetolive', '--keys', lease(0)(s), '-w', 'json'], ttl: true },
  { name: 'revoke', args: (s) => ['lease', 'revoke', lease(0)(s)] },
  { name: 'revoke json', args: (s) => ['lease', 'revoke', lease(1)(s), '-w', 'json'] },
  { name: 'revoke again', args: (s) => ['lease', 'revoke', lease(0)(s)] },
  { name: 'timetolive expired', args: (s) => ['lease', 'timetolive', lease(0)(s)] },
  { name: 'timetolive expired json', args: (s) => ['lease', 'timetolive', lease(0)(s), '-w', 'json'] },
  c(['get', 'leased']),
  c(['lease', 'timetolive', 'zz']),
  c(['lease', 'timetolive']),
  c(['lease', 'revoke']),
];

const HELP_CASES: GoldenCase[] = [
  c([]),
  c(['--help']),
  c(['put', '-h']),
  c(['del', '--help']),
  c(['txn', '-h']),
  c(['compaction', '-h']),
  c(['help', 'put']),
  c(['member']),
  c(['member', 'foo']),
  c(['member', 'list', '-h']),
  c(['lease']),
  c(['lease', 'grant', '-h']),
  c(['lease', 'timetolive', '-h']),
  c(['endpoint']),
  c(['endpoint', 'status', '-h']),
  c(['endpoint', 'health', '-h']),
  c(['endpoint', 'hashkv', '-h']),
  c(['alarm']),
  c(['defrag', '-h']),
  c(['version', '-h']),
];

const ERROR_CASES: GoldenCase[] = [
  c(['foo']),
  c(['gte']),
  c(['lese']),
  c(['--foo']),
  c(['del', '--foo', 'x']),
  c(['-x', 'get']),
  c(['put', '-w']),
  c(['del', 'a', '--prefix=abc']),
  c(['--dial-timeout=abc', 'put', 'a', 'b']),
  c(['--command-timeout', '5', 'del', 'a']),
  c(['--endpoints=127.0.0.1:9', 'get', 'foo']),
  c([...UNREACHABLE, 'get', 'foo'], { noEndpointEnv: true }),
  c([...UNREACHABLE, 'put', 'foo', 'bar'], { noEndpointEnv: true }),
  c([...UNREACHABLE, 'endpoint', 'health'], { noEndpointEnv: true }),
  c([...UNREACHABLE, 'endpoint', 'health', '-w', 'json'], { noEndpointEnv: true }),
  c([...UNREACHABLE, 'endpoint', 'health', '-w', 'table'], { noEndpointEnv: true }),
  c([...UNREACHABLE, 'endpoint', 'status'], { noEndpointEnv: true }),
  c([...UNREACHABLE, 'endpoint', 'hashkv'], { noEndpointEnv: true }),
  c([...UNREACHABLE, 'defrag'], { noEndpointEnv: true }),
  c([...UNREACHABLE, 'member', 'list'], { noEndpointEnv: true }),
  c([...UNREACHABLE, 'alarm', 'list'], { noEndpointEnv: true }),
  c([...UNREACHABLE, 'compaction', '5'], { noEndpointEnv: true }),
  c([...UNREACHABLE, 'lease', 'grant', '5'], { noEndpointEnv: true }),
  c([...UNREACHABLE, 'lease', 'revoke', '1'], { noEndpointEnv: true }),
  // Not compared: etcdctl 3.4's `lease list` / `lease timetolive` never time out on an unreachable
  // endpoint (no command deadline); tetcdctl fails after --command-timeout.
];

/** Every case, in execution order. */
export const GOLDEN_CASES: readonly GoldenCase[] = [
  ...KV_CASES, ...TXN_CASES, ...MAINTENANCE_CASES, ...LEASE_CASES, ...HELP_CASES, ...ERROR_CASES,
];
