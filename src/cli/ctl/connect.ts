/**
 * Client creation and error text for commands: one EtcdClient per command (or per endpoint for the
 * endpoint commands), TLS files and --user/--password applied, and clientv3-style error messages
 * (`context deadline exceeded` when nothing answers within --command-timeout).
 */
import { readFileSync } from 'node:fs';
import { GrpcStatus } from '../../base/errors.js';
import { EtcdClient, EtcdClientError } from '../../client/index.js';
import type { EtcdClientOptions } from '../../client/index.js';
import { CtlExit, ExitCode } from './errors.js';
import type { GlobalOptions } from './global-flags.js';
import { promptedCredentials } from './prompt.js';

const GRPC_CODE_NAMES = ['OK', 'Canceled', 'Unknown', 'InvalidArgument', 'DeadlineExceeded', 'NotFound',
  'AlreadyExists', 'PermissionDenied', 'ResourceExhausted', 'FailedPrecondition', 'Aborted', 'OutOfRange',
  'Unimplemented', 'Internal', 'Unavailable', 'DataLoss', 'Unauthenticated'];

/** A failure before any request reached a server within the deadline. */
export class DeadlineError extends Error {
  override readonly name = 'DeadlineError';
  constructor() {
    super('context deadline exceeded');
  }
}

/** The text clientv3 would give for `error` (what etcdctl prints after `Error: `). Throws nothing. */
export function errorText(error: unknown): string {
  if (error instanceof DeadlineError) return error.message;
  if (error instanceof EtcdClientError) {
    if (error.grpcCode === GrpcStatus.DEADLINE_EXCEEDED) return 'context deadline exceeded';
    if (error.grpcCode === GrpcStatus.CANCELLED && error.etcdCode === undefined) return 'context canceled';
    if (error.etcdCode !== undefined) return error.message;
    if (error.message.startsWith('etcdserver: ')) return error.message;
    return `rpc error: code = ${GRPC_CODE_NAMES[error.grpcCode] ?? error.grpcCode} desc = ${error.message}`;
  }
  return error instanceof Error ? error.message : String(error);
}

function readPem(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new CtlExit(ExitCode.BAD_ARGS, `open ${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT'
      ? 'no such file or directory' : `cannot read ${what}`}`);
  }
}

function clientOptions(globals: GlobalOptions, endpoints: string[]): EtcdClientOptions {
  const options: EtcdClientOptions = {
    endpoints: endpoints.map((e) => e.replace(/^unix:\/\//, '')),
    dialTimeoutMs: Math.max(1, globals.commandTimeoutMs),
    requestTimeoutMs: Math.max(1, globals.commandTimeoutMs),
  };
  const files = globals.cacert !== '' || globals.cert !== '' || globals.key !== '';
  // etcdctl: TLS when certificate files are given, --insecure-transport=false, or an https endpoint.
  if (files || !globals.insecureTransport || globals.insecureSkipTlsVerify) {
    options.tls = {
      ...(globals.cacert !== '' ? { ca: readPem(globals.cacert, 'CA') } : {}),
      ...(globals.cert !== '' ? { cert: readPem(globals.cert, 'certificate') } : {}),
      ...(globals.key !== '' ? { key: readPem(globals.key, 'key') } : {}),
      ...(globals.insecureSkipTlsVerify ? { skipVerify: true } : {}),
    };
    if (!files && globals.insecureTransport && !endpoints.some((e) => e.startsWith('https://'))) delete options.tls;
  }
  return options;
}

/** --user name:password, --user name --password pw. Throws CtlExit on a bad combination. */
export function credentials(globals: GlobalOptions): { name: string; password: string } | undefined {
  if (globals.user === '') return undefined;
  const colon = globals.user.indexOf(':');
  if (globals.password !== '') {
    if (colon >= 0) throw new CtlExit(ExitCode.BAD_ARGS, 'username contains ":" is not allowed when --password is set');
    return { name: globals.user, password: globals.password };
  }
  if (colon < 0) throw new CtlExit(ExitCode.BAD_ARGS, 'password must be given with --user name:password or --password');
  return { name: globals.user.slice(0, colon), password: globals.user.slice(colon + 1) };
}

/**
 * Connects to `endpoints` (default: --endpoints), authenticating when --user is set (the token is
 * refreshed by the client when the server rejects it). Waits up to --command-timeout for a
 * connection; throws DeadlineError when none is ready, CtlExit on bad input and (exit 2, as etcdctl)
 * when authentication fails.
 */
export async function connect(globals: GlobalOptions, endpoints = globals.endpoints,
  extra: Partial<EtcdClientOptions> = {}): Promise<EtcdClient> {
  const creds = (await promptedCredentials(globals)) ?? credentials(globals);
  let client: EtcdClient;
  try {
    client = new EtcdClient({ ...clientOptions(globals, endpoints), ...(creds !== undefined ? { auth: creds } : {}),
      ...extra });
  } catch (error) {
    throw new CtlExit(ExitCode.BAD_ARGS, error instanceof Error ? error.message : String(error));
  }
  try {
    await client.dial();
  } catch (error) {
    client.close();
    // clientv3 ignores ErrAuthNotEnabled when it fetches a token: go on without credentials.
    if (creds !== undefined && error instanceof EtcdClientError && error.etcdCode === 'ERR_AUTH_NOT_ENABLED') {
      return connect({ ...globals, user: '', password: '' }, endpoints, extra);
    }
    if (error instanceof EtcdClientError && error.method !== 'dial') {
      throw new CtlExit(ExitCode.BAD_CONNECTION, errorText(error));
    }
    throw new DeadlineError();
  }
  return client;
}

/** Runs `body` with a connected client and closes it afterwards. Errors propagate. */
export async function withClient<T>(globals: GlobalOptions, body: (client: EtcdClient) => Promise<T>,
  endpoints?: string[], extra?: Partial<EtcdClientOptions>): Promise<T> {
  const client = await connect(globals, endpoints, extra);
  try {
    return await body(client);
  } finally {
    client.close();
  }
}

/** Converts a request failure into etcdctl's `Error: <text>` exit (code 1). */
export function commandFailed(error: unknown): CtlExit {
  if (error instanceof CtlExit) return error;
  return new CtlExit(ExitCode.ERROR, errorText(error));
}

/** withClient, with any failure turned into etcdctl's `Error: <text>` exit (code 1). */
export function send<T>(globals: GlobalOptions, body: (client: EtcdClient) => Promise<T>): Promise<T> {
  return withClient(globals, body).catch((e: unknown) => { throw commandFailed(e); });
}
