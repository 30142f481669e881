/**
 * Peer network accounting for etcd_network_peer_*: byte estimates of raft messages, and a prober that
 * measures the round-trip time to every peer (etcd's prober, etcd_network_peer_round_trip_time_seconds)
 * and reports peers becoming active or inactive (etcd_network_active_peers).
 */
import { formatIdHex } from '../base/ids.js';
import type { PeerMetricsHooks } from './hooks.js';

/** etcd probes peers every few seconds; one probe per peer per interval. */
export const PEER_PROBE_INTERVAL_MS = 5000;
/** Fixed fields of a raft message on the wire (type, ids, term, index, commit...), upper estimate. */
const MESSAGE_OVERHEAD_BYTES = 48;
/** Per entry: term, index, type and length prefixes. */
const ENTRY_OVERHEAD_BYTES = 24;

/** The parts of a raft message whose size varies (structurally typed: src/metrics may not import raft). */
export interface SizedMessage {
  entries: readonly { data: Uint8Array }[];
  context: Uint8Array;
}

/** Estimated encoded size of a raft message in bytes (exact encoding would cost a second encode). */
export function approxMessageBytes(message: SizedMessage): number {
  let bytes = MESSAGE_OVERHEAD_BYTES + message.context.length;
  for (const entry of message.entries) bytes += ENTRY_OVERHEAD_BYTES + entry.data.length;
  return bytes;
}

export interface PeerProbeTarget {
  id: bigint;
  /** Milliseconds the stream to the peer has been active, undefined when it is down. */
  activeForMs(): number | undefined;
  /** One request/response round trip to the peer; rejects when it fails. */
  probe(): Promise<void>;
}

/** Probes peers on a timer (unref'd). Call stop() when the transport stops. */
export class PeerProber {
  private readonly timer: NodeJS.Timeout;
  private readonly active = new Map<bigint, boolean>();
  private readonly inFlight = new Set<bigint>();

  constructor(private readonly localId: bigint, private readonly hooks: PeerMetricsHooks,
    private readonly targets: () => Iterable<PeerProbeTarget>, intervalMs = PEER_PROBE_INTERVAL_MS) {
    this.timer = setInterval(() => this.round(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** One probing round (exposed for tests). */
  round(): void {
    const local = formatIdHex(this.localId);
    for (const target of this.targets()) {
      const remote = formatIdHex(target.id);
      const isActive = target.activeForMs() !== undefined;
      if (this.active.get(target.id) !== isActive) {
        if (isActive || this.active.has(target.id)) this.hooks.peerActive(local, remote, isActive);
        this.active.set(target.id, isActive);
      }
      if (this.inFlight.has(target.id)) continue;
      this.inFlight.add(target.id);
      const startedMs = performance.now();
      target.probe().then(
        () => this.hooks.roundTripSeconds(remote, (performance.now() - startedMs) / 1000),
        () => undefined,
      ).finally(() => this.inFlight.delete(target.id));
    }
  }
}
