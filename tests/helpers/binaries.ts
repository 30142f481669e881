/**
 * Locations of the external programs the end-to-end tests drive: the oracle (real etcd 3.4 and its
 * etcdctl, Debian's etcd-server / etcd-client packages) and the subject (tetcd's bin/tetcd).
 * Environment overrides: ETCD_BIN, ETCDCTL_BIN, TETCD_BIN (a script run with `node`).
 */
import { accessSync, constants } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Repository root (two levels above tests/helpers). */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Real etcd server binary (the oracle). */
export const ETCD_BIN = process.env['ETCD_BIN'] ?? '/usr/bin/etcd';
/** Real etcdctl binary, used against both servers. */
export const ETCDCTL_BIN = process.env['ETCDCTL_BIN'] ?? '/usr/bin/etcdctl';
/** tetcd's command-line entry point (run as `node TETCD_BIN server ...`). */
export const TETCD_BIN = process.env['TETCD_BIN'] ?? `${REPO_ROOT}bin/tetcd`;

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function isReadable(path: string): boolean {
  try {
    accessSync(path, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Throws an Error with an actionable message unless real etcd and etcdctl are installed. Tests call
 * this first so a missing oracle makes them FAIL, never skip.
 * @throws Error naming each missing binary and how to install it.
 */
export function requireOracleBinaries(): void {
  const missing = [ETCD_BIN, ETCDCTL_BIN].filter((path) => !isExecutable(path));
  if (missing.length > 0) {
    throw new Error(`e2e oracle missing: ${missing.join(', ')} not found or not executable. ` +
      'Install Debian packages etcd-server and etcd-client (apt-get install -y etcd-server etcd-client), ' +
      'or set ETCD_BIN / ETCDCTL_BIN.');
  }
}

/**
 * Throws unless tetcd's entry point exists (the subject under test).
 * @throws Error telling the reader to run `npm run build` or set TETCD_BIN.
 */
export function requireTetcdBinary(): void {
  if (!isReadable(TETCD_BIN)) {
    throw new Error(`tetcd entry point ${TETCD_BIN} not found: run \`npm run build\` first or set TETCD_BIN`);
  }
}
