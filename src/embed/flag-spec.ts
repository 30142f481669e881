/**
 * The server's flags, with etcd's names, defaults and env vars (ETCD_<UPPER_SNAKE>). `effect` says what
 * tetcd does with a flag: 'used' flags change behaviour; 'accepted' flags are parsed and validated so
 * etcd command lines run unchanged, and a warning is logged when one is set to a non-default value
 * (see docs/compatibility.md for the list and the issue that implements each).
 */
import { K3S_SNAPSHOT_SERVER_FLAGS } from '../ha/server-flags.js';
import { K3S_HA_SERVER_FLAGS } from '../ha/cluster-init-options.js';
import { CLUSTER_RESET_SERVER_FLAGS } from '../ha/cluster-reset-flags.js';

export type FlagKind = 'string' | 'bool' | 'int' | 'urls' | 'duration';

export interface FlagSpec {
  name: string;
  kind: FlagKind;
  default: string;
  effect: 'used' | 'accepted';
  help: string;
  /** Left out of `tetcd server --help` (tuning knobs for tests). */
  hidden?: boolean;
}

const f = (name: string, kind: FlagKind, def: string, effect: 'used' | 'accepted', help: string): FlagSpec =>
  ({ name, kind, default: def, effect, help });

export const SERVER_FLAGS: readonly FlagSpec[] = [
  f('name', 'string', 'default', 'used', 'Human-readable name for this member.'),
  f('data-dir', 'string', '', 'used', 'Path to the data directory (default: ${name}.etcd, or ./default.tetcd for the default name).'),
  f('wal-dir', 'string', '', 'used', 'Path to a dedicated WAL directory.'),
  f('snapshot-count', 'int', '100000', 'used', 'Committed transactions that trigger a snapshot to disk.'),
  f('heartbeat-interval', 'int', '100', 'used', 'Time (in milliseconds) of a heartbeat interval.'),
  f('election-timeout', 'int', '1000', 'used', 'Time (in milliseconds) for an election to timeout.'),
  f('initial-election-tick-advance', 'bool', 'true', 'accepted', 'Fast-forward election ticks on start.'),
  f('listen-peer-urls', 'urls', 'http://localhost:2380', 'used', 'List of URLs to listen on for peer traffic.'),
  f('listen-client-urls', 'urls', 'http://localhost:2379', 'used', 'List of URLs to listen on for client traffic.'),
  f('listen-client-http-urls', 'urls', '', 'accepted', 'List of URLs to serve HTTP (non-gRPC) client traffic.'),
  f('listen-metrics-urls', 'urls', '', 'used', 'List of URLs to serve /metrics and /health.'),
  f('max-snapshots', 'int', '5', 'used', 'Maximum number of snapshot files to retain (0 is unlimited).'),
  f('max-wals', 'int', '5', 'used', 'Maximum number of wal files to retain (0 is unlimited).'),
  f('quota-backend-bytes', 'int', '0', 'used', 'Raise alarms when backend size exceeds the given quota (0 defaults to 2 GiB).'),
  f('backend-bbolt-freelist-type', 'string', 'map', 'accepted', 'BoltDB freelist type (no effect: tetcd uses LMDB).'),
  f('backend-batch-interval', 'duration', '100ms', 'used', 'Maximum time before committing the backend transaction.'),
  f('backend-batch-limit', 'int', '10000', 'used', 'Maximum operations before committing the backend transaction.'),
  f('max-txn-ops', 'int', '128', 'used', 'Maximum number of operations permitted in a transaction.'),
  f('max-request-bytes', 'int', '1572864', 'used', 'Maximum client request size in bytes the server will accept.'),
  f('max-concurrent-streams', 'int', '4294967295', 'used', 'Maximum concurrent streams per gRPC connection.'),
  f('grpc-keepalive-min-time', 'duration', '5s', 'used', 'Minimum interval a client should wait before pinging the server.'),
  f('grpc-keepalive-interval', 'duration', '2h', 'used', 'Frequency duration of server-to-client ping to check if a connection is alive.'),
  f('grpc-keepalive-timeout', 'duration', '20s', 'used', 'Additional duration of wait before closing a non-responsive connection.'),
  f('socket-reuse-port', 'bool', 'false', 'accepted', 'Enable SO_REUSEPORT on listeners.'),
  f('socket-reuse-address', 'bool', 'false', 'accepted', 'Enable SO_REUSEADDR on listeners.'),
  f('initial-advertise-peer-urls', 'urls', 'http://localhost:2380', 'used', "List of this member's peer URLs to advertise to the rest of the cluster."),
  f('initial-cluster', 'string', 'default=http://localhost:2380', 'used', 'Initial cluster configuration for bootstrapping.'),
  f('initial-cluster-state', 'string', 'new', 'used', "Initial cluster state ('new' or 'existing')."),
  f('initial-cluster-token', 'string', 'etcd-cluster', 'used', 'Initial cluster token for the etcd cluster during bootstrap.'),
  f('advertise-client-urls', 'urls', 'http://localhost:2379', 'used', "List of this member's client URLs to advertise to the public."),
  f('discovery', 'string', '', 'accepted', 'Discovery URL used to bootstrap the cluster.'),
  f('discovery-fallback', 'string', 'proxy', 'accepted', 'Expected behavior when discovery services fails.'),
  f('discovery-proxy', 'string', '', 'accepted', 'HTTP proxy to use for traffic to discovery service.'),
  f('discovery-srv', 'string', '', 'accepted', 'DNS srv domain used to bootstrap the cluster.'),
  f('discovery-srv-name', 'string', '', 'accepted', 'Suffix to the dns srv name queried when bootstrapping.'),
  f('strict-reconfig-check', 'bool', 'true', 'used', 'Reject reconfiguration requests that would cause quorum loss.'),
  f('pre-vote', 'bool', 'true', 'used', 'Enable the raft Pre-Vote algorithm to prevent disruption when a node rejoins.'),
  f('auto-compaction-retention', 'string', '0', 'used', 'Auto compaction retention length. 0 means disable auto compaction.'),
  f('auto-compaction-mode', 'string', 'periodic', 'used', "Interpret 'auto-compaction-retention' as 'periodic' or 'revision'."),
  f('enable-v2', 'bool', 'false', 'accepted', 'Accept etcd V2 client requests (not supported by tetcd).'),
  f('cert-file', 'string', '', 'used', 'Path to the client server TLS cert file.'),
  f('key-file', 'string', '', 'used', 'Path to the client server TLS key file.'),
  f('client-cert-auth', 'bool', 'false', 'used', 'Enable client cert authentication.'),
  f('client-crl-file', 'string', '', 'used', 'Path to the client certificate revocation list file.'),
  f('client-cert-allowed-hostname', 'string', '', 'used', 'Allowed TLS hostname for client cert authentication.'),
  f('trusted-ca-file', 'string', '', 'used', 'Path to the client server TLS trusted CA cert file.'),
  f('auto-tls', 'bool', 'false', 'used', 'Client TLS using generated certificates.'),
  f('peer-cert-file', 'string', '', 'used', 'Path to the peer server TLS cert file.'),
  f('peer-key-file', 'string', '', 'used', 'Path to the peer server TLS key file.'),
  f('peer-client-cert-auth', 'bool', 'false', 'used', 'Enable peer client cert authentication.'),
  f('peer-trusted-ca-file', 'string', '', 'used', 'Path to the peer server TLS trusted CA file.'),
  f('peer-cert-allowed-cn', 'string', '', 'used', 'Required CN for client certs connecting to the peer endpoint.'),
  f('peer-cert-allowed-hostname', 'string', '', 'used', 'Allowed TLS hostname for inter peer authentication.'),
  f('peer-auto-tls', 'bool', 'false', 'used', 'Peer TLS using self-generated certificates.'),
  f('self-signed-cert-validity', 'int', '1', 'used', 'Validity period (years) of the auto-generated certificates.'),
  f('peer-crl-file', 'string', '', 'used', 'Path to the peer certificate revocation list file.'),
  f('cipher-suites', 'string', '', 'used', 'Comma-separated list of supported TLS cipher suites.'),
  f('cors', 'string', '*', 'accepted', 'Comma-separated whitelist of origins for CORS.'),
  f('host-whitelist', 'string', '*', 'accepted', 'Acceptable hostnames from HTTP client requests.'),
  f('tls-min-version', 'string', 'TLS1.2', 'used', 'Minimum TLS version supported by etcd.'),
  f('tls-max-version', 'string', '', 'used', 'Maximum TLS version supported by etcd.'),
  f('auth-token', 'string', 'simple', 'used', "Specify a v3 authentication token type ('simple' or 'jwt,...')."),
  f('bcrypt-cost', 'int', '10', 'used', 'Specify bcrypt algorithm cost factor for auth password hashing.'),
  f('auth-token-ttl', 'int', '300', 'used', 'The lifetime in seconds of the auth token.'),
  f('enable-pprof', 'bool', 'false', 'accepted', 'Enable runtime profiling data via HTTP server.'),
  f('metrics', 'string', 'basic', 'used', "Set level of detail for exported metrics ('basic' or 'extensive')."),
  f('enable-dashboard', 'bool', 'true', 'used',
    'Serve the read-only web dashboard at /dashboard on the client and metrics URLs (tetcd only).'),
  f('logger', 'string', 'zap', 'accepted', "Logger: 'zap' (JSON; tetcd always logs JSON)."),
  f('log-outputs', 'string', 'default', 'accepted', "Log outputs: 'default' (stderr), 'stderr', 'stdout'."),
  f('log-level', 'string', 'info', 'used', 'Configures log level: debug, info, warn, error, panic, or fatal.'),
  f('enable-log-rotation', 'bool', 'false', 'accepted', 'Enable log rotation of a single log-outputs file target.'),
  f('log-rotation-config-json', 'string', '', 'accepted', 'Configures log rotation if enabled.'),
  f('force-new-cluster', 'bool', 'false', 'used', 'Force to create a new one member cluster.'),
  f('unsafe-no-fsync', 'bool', 'false', 'used', 'Disables fsync, unsafe, will cause data loss.'),
  f('config-file', 'string', '', 'used', 'Path to the server configuration file (YAML, flag names as keys).'),
  f('experimental-initial-corrupt-check', 'bool', 'false', 'used', 'Check data corruption before serving.'),
  f('experimental-corrupt-check-time', 'duration', '0s', 'used', 'Duration between cluster corruption checks.'),
  f('experimental-enable-lease-checkpoint', 'bool', 'false', 'used', 'Enable leader to send regular checkpoints to other members to prevent reset of remaining TTL on leader change.'),
  f('experimental-lease-checkpoint-interval', 'duration', '5m', 'used', 'Duration of periodic checkpoints of lease remaining TTLs.'),
  f('experimental-compaction-batch-limit', 'int', '1000', 'accepted', 'Maximum revisions deleted in each compaction batch.'),
  f('experimental-watch-progress-notify-interval', 'duration', '10m', 'accepted', 'Duration of periodic watch progress notifications.'),
  f('experimental-warning-apply-duration', 'duration', '100ms', 'used', 'Time duration after which a warning is generated if request takes more time.'),
  // K3s's snapshot flags (src/ha): scheduled snapshots, retention, S3.
  ...K3S_SNAPSHOT_SERVER_FLAGS.map((x) => f(x.name, x.kind, x.default, 'used', x.help)),
  // K3s's HA flags (src/ha, docs/k3s-ha.md): --cluster-init, --server, --token, --token-file, --tls-san.
  ...K3S_HA_SERVER_FLAGS.map((x) => ({ ...f(x.name, x.kind, x.default, 'used', x.help),
    ...(x.hidden === true ? { hidden: true } : {}) })),
  // K3s's --cluster-reset / --cluster-reset-restore-path (src/embed/k3s-reset.ts).
  ...CLUSTER_RESET_SERVER_FLAGS.map((x) => f(x.name, x.kind, x.default, 'used', x.help)),
];

export const SERVER_FLAG_BY_NAME: ReadonlyMap<string, FlagSpec> = new Map(SERVER_FLAGS.map((s) => [s.name, s]));

/** The env var etcd reads for a flag: ETCD_ + upper snake case. */
export function envVarName(flagName: string): string {
  return `ETCD_${flagName.toUpperCase().replaceAll('-', '_')}`;
}
