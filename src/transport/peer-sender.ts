/**
 * The outgoing half of one peer link: a long-lived raft stream to the peer (peer-link.ts: the raw stream,
 * or HTTP/2 for a peer that speaks only that), onto which queued messages are written as one frame per
 * send (batching). If the stream is down or its write buffer is over `backlogBytesMax`, messages are
 * dropped and the peer reported unreachable, as etcd's stream does (raft retransmits). Reconnects with
 * exponential back-off.
 */
import type * as tls from 'node:tls';
import { createReadStream } from 'node:fs';
import { formatIdHex } from '../base/ids.js';
import type { Message } from '../raft/types.js';
import { MessageType } from '../raft/types.js';
import type { TransportHandler } from '../server/transport-api.js';
import type { Logger } from '../platform/logger.js';
import { encodeFrame } from './message-codec.js';
import { connectPeer } from './peer-request.js';
import { H2PeerLink, type LinkEvents, type PeerLink, RawPeerLink } from './peer-link.js';

const BACKOFF_MIN_MS = 50;
const BACKOFF_MAX_MS = 1000;

export interface PeerIdentity { localId: bigint; clusterId: bigint }

export class PeerSender {
  private link: PeerLink | undefined;
  private queue: Message[] = [];
  private flushScheduled = false;
  private backoffMs = BACKOFF_MIN_MS;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private activeSinceMs: number | undefined;
  private urlIndex = 0;
  /** The peer answered the raw stream's preface with HTTP/2 (an older tetcd): use POST /raft/stream. */
  private peerSpeaksOnlyH2 = false;

  constructor(
    readonly peerId: bigint,
    private peerUrls: string[],
    private readonly identity: PeerIdentity,
    private readonly handler: TransportHandler,
    private readonly logger: Logger,
    private readonly backlogBytesMax: number,
    private readonly clientTls: tls.ConnectionOptions | undefined,
    private readonly handshakeTimeoutMs: number,
  ) {
    this.connect();
  }

  activeForMs(): number | undefined {
    return this.activeSinceMs === undefined ? undefined : performance.now() - this.activeSinceMs;
  }

  /** The stream's protocol while it is active: 'raft' (raw) or 'h2'. */
  activeProtocol(): 'raft' | 'h2' | undefined {
    return this.activeSinceMs === undefined ? undefined : this.link?.protocol;
  }

  urls(): string[] {
    return [...this.peerUrls];
  }

  updateUrls(peerUrls: string[]): void {
    this.peerUrls = peerUrls;
    this.peerSpeaksOnlyH2 = false;
    this.link?.close();
  }

  send(message: Message): void {
    if (message.type === MessageType.Snap) {
      void this.sendSnapshot(message);
      return;
    }
    this.queue.push(message);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.reconnectTimer !== undefined) clearTimeout(this.reconnectTimer);
    this.link?.close();
  }

  /** Writes the queued messages as one frame (also runs by itself one event-loop turn after a send). */
  flush(): void {
    this.flushScheduled = false;
    const messages = this.queue;
    this.queue = [];
    if (messages.length === 0) return;
    const link = this.link;
    if (link === undefined || this.activeSinceMs === undefined || !link.writable() ||
        link.writableLength() > this.backlogBytesMax) {
      this.handler.reportUnreachable(this.peerId);
      return;
    }
    link.write(encodeFrame(messages));
  }

  private currentUrl(): string {
    return this.peerUrls[this.urlIndex % this.peerUrls.length]!;
  }

  private connect(): void {
    if (this.stopped) return;
    const target = { url: this.currentUrl(), clusterId: this.identity.clusterId, from: this.identity.localId,
      to: this.peerId };
    // The events compare against `this.link` so that a replaced link's late events are ignored (no link
    // reports an event from inside its constructor: sockets emit asynchronously).
    const own: { link?: PeerLink } = {};
    const events: LinkEvents = {
      active: () => {
        if (own.link !== this.link) return;
        this.activeSinceMs = performance.now();
        this.backoffMs = BACKOFF_MIN_MS;
        this.logger.info({ 'remote-peer-id': formatIdHex(this.peerId), protocol: own.link?.protocol }, 'peer became active');
      },
      refused: (reason) => {
        if (own.link !== this.link) return;
        this.logger.warn({ 'remote-peer-id': formatIdHex(this.peerId), reason }, 'peer rejected the raft stream');
        if (reason.includes(`member ${formatIdHex(this.identity.localId)} has been removed`)) this.handler.removedByPeer();
      },
      legacy: () => {
        if (own.link !== this.link) return;
        this.peerSpeaksOnlyH2 = true;
        this.backoffMs = BACKOFF_MIN_MS;
        this.logger.info({ 'remote-peer-id': formatIdHex(this.peerId) },
          'peer speaks only HTTP/2 raft streams; using POST /raft/stream');
      },
      closed: () => {
        if (own.link !== undefined && own.link === this.link) this.onDisconnect(own.link);
      },
    };
    own.link = this.peerSpeaksOnlyH2 ? new H2PeerLink(target, this.clientTls, events)
      : new RawPeerLink(target, this.clientTls, events, this.handshakeTimeoutMs);
    this.link = own.link;
  }

  private onDisconnect(link: PeerLink): void {
    this.link = undefined;
    if (this.activeSinceMs !== undefined) {
      this.logger.warn({ 'remote-peer-id': formatIdHex(this.peerId) },
        'peer became inactive (message send to peer failed)');
    }
    // The peer may have been upgraded since: after an HTTP/2 link, try the raw stream first again.
    if (link.protocol === 'h2') this.peerSpeaksOnlyH2 = false;
    this.activeSinceMs = undefined;
    if (this.stopped) return;
    this.urlIndex++;
    this.reconnectTimer = setTimeout(() => this.connect(), this.backoffMs);
    this.backoffMs = Math.min(BACKOFF_MAX_MS, this.backoffMs * 2);
  }

  /** Streams a MsgSnap with the backend image on its own request; reports the outcome to raft. */
  private async sendSnapshot(message: Message): Promise<void> {
    let release: (() => Promise<void>) | undefined;
    try {
      const db = await this.handler.snapshotDb();
      release = db.release;
      const merged: Message = { ...message, snapshot: { data: message.snapshot?.data ?? new Uint8Array(0),
        metadata: db.metadata } };
      await this.postSnapshot(merged, db.path);
      this.handler.reportSnapshot(this.peerId, 'finish');
      this.logger.info({ 'remote-peer-id': formatIdHex(this.peerId), index: message.snapshot?.metadata.index },
        'sent database snapshot to peer');
    } catch (error) {
      this.logger.warn({ 'remote-peer-id': formatIdHex(this.peerId), error: String(error) },
        'failed to send database snapshot');
      this.handler.reportSnapshot(this.peerId, 'failure');
    } finally {
      await release?.();
    }
  }

  private postSnapshot(message: Message, dbPath: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const session = connectPeer(this.currentUrl(), this.clientTls);
      session.on('error', reject);
      const stream = session.request({
        ':method': 'POST', ':path': '/raft/snapshot',
        'x-tetcd-cluster-id': formatIdHex(this.identity.clusterId),
        'x-tetcd-from': formatIdHex(this.identity.localId),
        'x-tetcd-to': formatIdHex(this.peerId),
      });
      stream.on('response', (headers) => {
        const status = Number(headers[':status']);
        stream.resume();
        stream.on('end', () => {
          session.close();
          if (status === 204) resolve();
          else reject(new Error(`peer answered ${status}: ${String(headers['x-tetcd-reason'] ?? '')}`));
        });
      });
      stream.on('error', (error) => { session.destroy(); reject(error); });
      stream.write(encodeFrame([message]));
      createReadStream(dbPath).on('error', reject).pipe(stream);
    });
  }
}
