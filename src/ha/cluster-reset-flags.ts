/**
 * K3s's `--cluster-reset` and `--cluster-reset-restore-path` server flags (names, kinds, defaults, help
 * in the shape of src/embed/flag-spec.ts entries) and the reset request they describe.
 */
import type { HaFlag } from './server-flags.js';

/** The reset flags `tetcd server` accepts, with K3s's names. */
export const CLUSTER_RESET_SERVER_FLAGS: readonly HaFlag[] = [
  { name: 'cluster-reset', kind: 'bool', default: 'false',
    help: 'Forget all peers and become sole member of a new cluster (keeps the data), then exit.' },
  { name: 'cluster-reset-restore-path', kind: 'string', default: '',
    help: 'Path to a snapshot file to restore with --cluster-reset (an S3 object name with --etcd-s3).' },
];

/** K3s's refusal of `--cluster-reset-restore-path` without `--cluster-reset`. */
export const RESTORE_PATH_WITHOUT_RESET_MESSAGE =
  'invalid flag use; --cluster-reset required with --cluster-reset-restore-path';

/** What the reset flags ask for. */
export type ClusterResetRequest =
  | { kind: 'none' }
  | { kind: 'reset' }
  | { kind: 'restore'; restorePath: string; fromS3: boolean };

/** A bad combination of reset flags (the server command exits 2 with the message, as for other flag errors). */
export class ClusterResetFlagError extends Error {
  override readonly name = 'ClusterResetFlagError';
  readonly code = 'ERR_CLUSTER_RESET_FLAGS';
}

/**
 * Reads the reset request from raw flag values (missing ⇒ default). With `--etcd-s3`, the restore path
 * names an S3 object (as K3s, only its file name is used).
 * @throws ClusterResetFlagError for `--cluster-reset-restore-path` without `--cluster-reset`.
 */
export function clusterResetRequest(values: ReadonlyMap<string, string> | undefined): ClusterResetRequest {
  const reset = values?.get('cluster-reset') === 'true';
  const restorePath = values?.get('cluster-reset-restore-path') ?? '';
  if (restorePath !== '' && !reset) throw new ClusterResetFlagError(RESTORE_PATH_WITHOUT_RESET_MESSAGE);
  if (!reset) return { kind: 'none' };
  if (restorePath === '') return { kind: 'reset' };
  return { kind: 'restore', restorePath, fromS3: values?.get('etcd-s3') === 'true' };
}
