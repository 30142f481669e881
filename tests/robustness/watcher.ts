/**
 * A recorded watcher over all keys, pinned to one member. It starts from a revision, asks for progress
 * notifications (and sends progress requests), and whenever its stream fails (or, when `restartEveryMs`
 * is set, deliberately, like a Kubernetes informer) it resumes from the revision after the last one it
 * saw. Every response goes into a WatchSegment of the Recorder.
 */
import { pb, toEvent, type Recorder, type WatchSegment } from './history.js';
import type { MemberConnection } from './rpc.js';

const RECONNECT_DELAY_MS = 200;
/** The whole keyspace ([\0, \0) in etcd's range convention). */
const ALL_KEYS = { key: new Uint8Array([0]), rangeEnd: new Uint8Array([0]) };

export class Watcher {
  /** Highest revision up to which this watcher has received everything (events or progress). */
  seenRev: number;
  private stopped = false;
  private stream: ReturnType<MemberConnection['watchStream']> | undefined;
  private done: Promise<void> = Promise.resolve();
  private restartTimer: NodeJS.Timeout | undefined;

  constructor(readonly id: number, startRev: number, private readonly rec: Recorder,
    private readonly connection: () => { member: string; conn: MemberConnection },
    private readonly restartEveryMs = 0,
    private readonly range: { key: Uint8Array; rangeEnd: Uint8Array } = ALL_KEYS) {
    this.seenRev = startRev - 1;
  }

  start(): void {
    this.done = this.loop();
  }

  /** Asks the server for a progress notification (ignored if the stream is down). */
  requestProgress(): void {
    try {
      this.stream?.write(pb.WatchRequest.create({ progressRequest: pb.WatchProgressRequest.create({}) }));
    } catch { /* stream closing */ }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stream?.cancel();
    await this.done;
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      await this.segment();
      if (!this.stopped) await new Promise((resolve) => setTimeout(resolve, RECONNECT_DELAY_MS));
    }
  }

  /** One stream from seenRev+1 until it ends (authenticated when the connection has a user). */
  private async segment(): Promise<void> {
    const { member, conn } = this.connection();
    let metadata;
    try {
      metadata = await conn.metadata();
    } catch {
      return; // member down: retried by loop()
    }
    if (this.stopped) return;
    const seg: WatchSegment = { watcher: this.id, member, startRev: this.seenRev + 1, responses: [] };
    this.rec.watches.push(seg);
    const stream = conn.watchStream(metadata);
    this.stream = stream;
    return new Promise<void>((resolve) => {
      let finished = false;
      const finish = (): void => {
        if (finished) return;
        finished = true;
        if (this.restartTimer !== undefined) clearTimeout(this.restartTimer);
        stream.cancel();
        resolve();
      };
      stream.on('data', (r: pb.WatchResponse) => {
        const events = r.events.map(toEvent);
        const rev = r.header?.revision ?? 0;
        seg.responses.push({ atMs: this.rec.now(), rev, events,
          ...(r.created ? { created: true } : {}), ...(r.canceled ? { canceled: true } : {}),
          ...(r.compactRevision > 0 ? { compactRevision: r.compactRevision } : {}) });
        if (events.length > 0) this.seenRev = Math.max(this.seenRev, events[events.length - 1]!.kv.mod);
        else if (!r.created && !r.canceled && r.compactRevision === 0) this.seenRev = Math.max(this.seenRev, rev);
        if (r.canceled) {
          if (r.compactRevision > 0) this.seenRev = Math.max(this.seenRev, r.compactRevision - 1);
          else if (r.cancelReason.includes('auth')) conn.dropToken(); // re-authenticate on the next segment
          finish();
        }
      });
      stream.on('error', (error: { code?: number }) => {
        if (error.code === 16) conn.dropToken(); // UNAUTHENTICATED: re-authenticate on the next segment
        finish();
      });
      stream.on('end', finish);
      stream.write(pb.WatchRequest.create({ createRequest: pb.WatchCreateRequest.create({
        key: this.range.key, rangeEnd: this.range.rangeEnd, startRevision: seg.startRev, progressNotify: true,
      }) }));
      if (this.restartEveryMs > 0) this.restartTimer = setTimeout(finish, this.restartEveryMs);
    });
  }
}
