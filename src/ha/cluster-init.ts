/**
 * Prepares an HA member before etcd starts (docs/k3s-ha.md):
 * - data already present (a restart): reuse everything, issue missing leaf certificates, no init/join;
 * - `--cluster-init`: create the CAs (never regenerating existing ones), this member's certificates and
 *   the token file (`--token`'s secret, else a random one);
 * - `--server`: run the join sequence (join.ts).
 * Then write `tetcdctl.env`. Returns the member name and the initial cluster to start with.
 */
import { hostname } from 'node:os';
import type { Logger } from '../platform/logger.js';
import type { HaOptions } from './cluster-init-options.js';
import {
  etcdctlEnvText, haLayout, memberDataExists, persistMemberName, readOptionalText, resolveMemberName, writeFileAtomic,
  type HaLayout,
} from './ha-layout.js';
import { ensureClusterCas, ensureMemberCerts, memberSans } from './ha-pki.js';
import { joinCluster } from './join.js';
import { formatToken, generateTokenSecret, parseToken } from './token.js';

export interface HaMemberInput {
  options: HaOptions;
  dataDir: string;
  /** --name when given. */
  explicitName: string | undefined;
  /** Advertised peer URLs (https). */
  peerUrls: readonly string[];
  /** Hosts of every listen / advertise URL (SANs). */
  urlHosts: readonly string[];
  /** What tetcdctl.env points at (https://127.0.0.1:<client port>). */
  clientEndpoint: string;
  logger: Logger;
}

export interface HaMember {
  name: string;
  layout: HaLayout;
  initialCluster: Array<{ name: string; peerUrls: string[] }>;
  initialClusterState: 'new' | 'existing';
}

/** Thrown when the existing material conflicts with the flags (e.g. another --token). */
export class HaSetupError extends Error {
  override readonly name = 'HaSetupError';
  readonly code = 'ERR_HA_SETUP';
}

/**
 * Creates, reuses or fetches the member's material.
 * @throws JoinError (join refused), HaSetupError, HaPkiError, fs errors.
 */
export async function prepareHaMember(input: HaMemberInput): Promise<HaMember> {
  const layout = haLayout(input.dataDir);
  const { name, generated } = await resolveMemberName(layout, input.explicitName);
  const sans = memberSans(hostname(), input.urlHosts, input.options.tlsSans);
  const self = { name, peerUrls: [...input.peerUrls] };
  let result: HaMember;
  if (memberDataExists(layout.dataDir)) {
    await ensureMemberCerts(layout, name, sans);
    input.logger.info({ 'data-dir': layout.dataDir, name }, 'member data exists: restarting with the existing HA material');
    result = { name, layout, initialCluster: [self], initialClusterState: 'new' };
  } else if (input.options.mode === 'init') {
    const created = await ensureClusterCas(layout);
    await ensureMemberCerts(layout, name, sans);
    await ensureToken(layout, input.options.token);
    input.logger.info({ 'token-file': layout.tokenFile, 'created-ca': created }, 'cluster-init: HA material ready');
    result = { name, layout, initialCluster: [self], initialClusterState: 'new' };
  } else {
    const joined = await joinCluster({ serverUrl: input.options.serverUrl, token: input.options.token, layout,
      memberName: name, peerUrls: input.peerUrls, sans, logger: input.logger });
    result = { name, layout, initialCluster: joined.initialCluster, initialClusterState: 'existing' };
  }
  if (generated) await persistMemberName(layout, name);
  await writeFileAtomic(layout.envFile, etcdctlEnvText(layout, input.clientEndpoint), 0o600);
  return result;
}

/** Writes the token file unless present; a different --token than the stored one is refused. */
async function ensureToken(layout: HaLayout, givenToken: string): Promise<void> {
  const given = givenToken === '' ? undefined : parseToken(givenToken).password;
  const stored = (await readOptionalText(layout.tokenFile))?.trim();
  if (stored !== undefined && stored !== '') {
    if (given !== undefined && parseToken(stored).password !== given) {
      throw new HaSetupError(`--token does not match the token in ${layout.tokenFile} (the cluster's token cannot change here)`);
    }
    return;
  }
  const caPem = await readOptionalText(layout.serverCaCert);
  if (caPem === undefined) throw new HaSetupError(`no CA at ${layout.serverCaCert}`);
  await writeFileAtomic(layout.tokenFile, `${formatToken(caPem, given ?? generateTokenSecret())}\n`, 0o600);
}
