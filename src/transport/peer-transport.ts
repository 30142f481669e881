/**
 * Transport between members: one PeerSender per remote member (a raw raft stream, see raw-stream.ts), one
 * PeerListener for incoming streams and the HTTP/2 requests (snapshots, joins, forwarding). Implements the
 * server's Transport interface.
 */
import type * as tls from 'node:tls';
import { assert } from '../base/assert.js';
import type { Message } from '../raft/types.js';
import type { LeaseForwardKind, Transport, TransportHandler } from '../server/transport-api.js';
import type { Logger } from '../platform/logger.js';
import { PeerListener, type PeerListenerTls, SNIFF_TIMEOUT_MS } from './peer-listener.js';
import { RAW_HANDSHAKE_TIMEOUT_MS } from './peer-link.js';
import { PeerSender } from './peer-sender.js';
import { peerRequest } from './peer-request.js';
import { ERROR_TABLE, etcdError, type EtcdErrorCode } from '../base/errors.js';
import { formatIdHex } from '../base/ids.js';
import type { PeerMetricsHooks } from '../metrics/hooks.js';
import { approxMessageBytes, PeerProber } from '../metrics/peer-accounting.js';

export interface PeerTransportOptions {
  localId: bigint;
  clusterId: bigint;
  /** Largest frame accepted from a peer (a batch of appends plus overhead). */
  frameBytesMax: number;
  /** Unsent bytes per peer beyond which new messages are dropped. */
  backlogBytesMax: number;
  /** etcd_network_peer_* accounting (bytes, send failures, round-trip time, active peers). */
  metrics?: PeerMetricsHooks | undefined;
  /** Peer TLS: the listener side (https:// listen URLs) and the options for outgoing https:// connections. */
  tls?: { listener?: PeerListenerTls | undefined; client: tls.ConnectionOptions } | undefined;
  /** Time a peer gets to answer a raft stream's preface (default RAW_HANDSHAKE_TIMEOUT_MS). */
  handshakeTimeoutMs?: number | undefined;
  /** Time a new connection gets to show its protocol on the peer port (default SNIFF_TIMEOUT_MS). */
  sniffTimeoutMs?: number | undefined;
}

export class PeerTransport implements Transport {
  private readonly senders = new Map<bigint, PeerSender>();
  private readonly listener: PeerListener;
  private readonly prober: PeerProber | undefined;

  constructor(private readonly options: PeerTransportOptions, private readonly handler: TransportHandler,
    private readonly logger: Logger) {
    const metrics = options.metrics;
    if (metrics !== undefined) {
      this.handler = handler = countingHandler(handler, metrics);
      this.prober = new PeerProber(options.localId, metrics, () => [...this.senders.values()].map((sender) => ({
        id: sender.peerId, activeForMs: () => sender.activeForMs(),
        probe: async () => { await peerRequest(sender.urls()[0]!, 'GET', '/members', {}, undefined, this.options.tls?.client); },
      })));
    }
    this.listener = new PeerListener({ localId: options.localId, clusterId: options.clusterId }, handler, logger,
      options.frameBytesMax, options.tls?.listener, options.sniffTimeoutMs ?? SNIFF_TIMEOUT_MS);
  }

  /** Listens on host:port, with TLS when `secure`. @throws Error if TLS is not configured or bind fails. */
  listen(host: string, port: number, secure = false): Promise<number> {
    return this.listener.listen(host, port, secure);
  }

  /**
   * Queues `messages` on their peers' streams and writes each touched stream's queue now, as one frame:
   * a Ready's messages are already a batch, and waiting a turn of the event loop adds latency to
   * every replication round trip.
   */
  send(messages: Message[]): void {
    const touched = new Set<PeerSender>();
    for (const message of messages) {
      const sender = this.senders.get(message.to);
      if (sender === undefined) continue;
      this.options.metrics?.sentBytes(formatIdHex(message.to), approxMessageBytes(message));
      sender.send(message);
      touched.add(sender);
    }
    for (const sender of touched) sender.flush();
  }

  addPeer(id: bigint, peerUrls: string[]): void {
    assert(id !== this.options.localId, 'cannot add the local member as a peer');
    if (this.senders.has(id) || peerUrls.length === 0) return;
    this.senders.set(id, new PeerSender(id, peerUrls, { localId: this.options.localId,
      clusterId: this.options.clusterId },
      this.handler, this.logger, this.options.backlogBytesMax, this.options.tls?.client,
      this.options.handshakeTimeoutMs ?? RAW_HANDSHAKE_TIMEOUT_MS));
  }

  removePeer(id: bigint): void {
    this.senders.get(id)?.stop();
    this.senders.delete(id);
    this.listener.dropIncoming(id);
  }

  updatePeer(id: bigint, peerUrls: string[]): void {
    const sender = this.senders.get(id);
    if (sender === undefined) this.addPeer(id, peerUrls);
    else sender.updateUrls(peerUrls);
  }

  activeForMs(id: bigint): number | undefined {
    return this.senders.get(id)?.activeForMs();
  }

  /** The protocol of the active stream to `id`: 'raft' (raw stream), 'h2' (an older peer), or undefined. */
  streamProtocol(id: bigint): 'raft' | 'h2' | undefined {
    return this.senders.get(id)?.activeProtocol();
  }

  async forwardPromote(leaderId: bigint, memberId: bigint): Promise<void> {
    const sender = this.senders.get(leaderId);
    if (sender === undefined) throw etcdError('ERR_NO_LEADER');
    const response = await peerRequest(sender.urls()[0]!, 'POST', `/members/promote/${formatIdHex(memberId)}`, {
      'x-tetcd-cluster-id': formatIdHex(this.options.clusterId), 'x-tetcd-from': formatIdHex(this.options.localId),
      'x-tetcd-to': formatIdHex(leaderId),
    }, undefined, this.options.tls?.client);
    if (response.status === 200) return;
    const code = response.headers['x-tetcd-error-code'];
    if (typeof code === 'string' && code in ERROR_TABLE) throw etcdError(code as EtcdErrorCode);
    throw new Error(String(response.headers['x-tetcd-reason'] ?? `promote failed with ${response.status}`));
  }

  async forwardLease(leaderId: bigint, kind: LeaseForwardKind, request: Uint8Array): Promise<Uint8Array> {
    const sender = this.senders.get(leaderId);
    if (sender === undefined) throw etcdError('ERR_NO_LEADER');
    const response = await peerRequest(sender.urls()[0]!, 'POST', `/leases/${kind}`, {
      'x-tetcd-cluster-id': formatIdHex(this.options.clusterId), 'x-tetcd-from': formatIdHex(this.options.localId),
      'x-tetcd-to': formatIdHex(leaderId), 'x-tetcd-lease-request': Buffer.from(request).toString('base64'),
    }, undefined, this.options.tls?.client);
    if (response.status === 200) return new Uint8Array(Buffer.from(response.body, 'base64'));
    const code = response.headers['x-tetcd-error-code'];
    if (typeof code === 'string' && code in ERROR_TABLE) throw etcdError(code as EtcdErrorCode);
    throw new Error(String(response.headers['x-tetcd-reason'] ?? `lease ${kind} failed with ${response.status}`));
  }

  async fetchHashKv(id: bigint, request: Uint8Array): Promise<Uint8Array> {
    const sender = this.senders.get(id);
    if (sender === undefined) throw new Error(`unknown peer ${formatIdHex(id)}`);
    const response = await peerRequest(sender.urls()[0]!, 'POST', '/members/hashkv', {
      'x-tetcd-cluster-id': formatIdHex(this.options.clusterId), 'x-tetcd-from': formatIdHex(this.options.localId),
      'x-tetcd-to': formatIdHex(id), 'x-tetcd-hashkv-request': Buffer.from(request).toString('base64'),
    }, undefined, this.options.tls?.client);
    if (response.status === 200) return new Uint8Array(Buffer.from(response.body, 'base64'));
    const code = response.headers['x-tetcd-error-code'];
    if (typeof code === 'string' && code in ERROR_TABLE) throw etcdError(code as EtcdErrorCode);
    throw new Error(String(response.headers['x-tetcd-reason'] ?? `hashkv failed with ${response.status}`));
  }

  async stop(): Promise<void> {
    this.prober?.stop();
    for (const sender of this.senders.values()) sender.stop();
    this.senders.clear();
    await this.listener.close();
  }
}

/** The handler as the listener and senders see it, counting received bytes and send failures. */
function countingHandler(handler: TransportHandler, metrics: PeerMetricsHooks): TransportHandler {
  const receive = (messages: Message[]): void => {
    for (const message of messages) metrics.receivedBytes(formatIdHex(message.from), approxMessageBytes(message));
    handler.receive(messages);
  };
  const reportUnreachable = (id: bigint): void => {
    metrics.sendFailed(formatIdHex(id));
    handler.reportUnreachable(id);
  };
  return new Proxy(handler, {
    get(target, property) {
      if (property === 'receive') return receive;
      if (property === 'reportUnreachable') return reportUnreachable;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
