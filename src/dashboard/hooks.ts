/**
 * What a member's status cannot read from EtcdServer itself, registered by the layers that know it:
 * the watch service (its WatchableStore lives in src/api) and the embedder (client-certificate auth is
 * a listener setting). Kept per server in a WeakMap, so a stopped server's hooks are collected with it.
 */

export interface DashboardHooks {
  /** --enable-dashboard=false: the dashboard routes answer 404. */
  enabled?: boolean;
  /** Watchers of this member (synced + unsynced). */
  watchers?: () => number;
  /** --client-cert-auth is on: the status is restricted as with auth. */
  clientCertAuth?: boolean;
}

const registered = new WeakMap<object, DashboardHooks>();

/** Adds hooks for `server` (later calls add to or replace earlier fields). */
export function configureDashboard(server: object, hooks: DashboardHooks): void {
  registered.set(server, { ...registered.get(server), ...hooks });
}

/** The hooks registered for `server` (an empty object when none). */
export function dashboardHooks(server: object): DashboardHooks {
  return registered.get(server) ?? {};
}
