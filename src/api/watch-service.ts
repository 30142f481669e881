/**
 * The etcdserverpb.Watch service: one bidi stream per client, many watchers per stream, on top of
 * the WatchableStore in src/mvcc/watch. This file is the transport: it decodes requests, turns queued
 * WatchOutputs into WatchResponses (header, prev_kv, fragments), writes them with back-pressure
 * (stops taking when grpc's write buffer is full, stops reading requests when control responses pile
 * up), sends periodic progress notifications and ends `hasleader` streams when the leader is lost.
 */
import type * as grpc from '@grpc/grpc-js';
import { etcdError } from '../base/errors.js';
import { Limits } from '../base/limits.js';
import { varintSize } from '../proto/runtime.js';
import { Event, type KeyValue } from '../proto/gen/mvccpb.js';
import {
  WatchCreateRequest_FilterType, WatchResponse, type WatchCreateRequest, type WatchRequest,
} from '../proto/gen/etcdserverpb.js';
import type { EtcdServer } from '../server/etcd-server.js';
import {
  fragmentResponse, INVALID_WATCH_ID, WATCH_STREAM_CONTROL_BUFFER, WatchableStore, WatchStream,
  type WatchableStoreOptions, type WatchOutput,
} from '../mvcc/watch/index.js';
import { toServiceError } from './grpc-errors.js';
import { requiresLeader, type LeaderProbe } from './unary.js';
import { authInfoFromCallNow, type CallLike } from './auth-context.js';
import { configureDashboard } from '../dashboard/hooks.js';

/** etcd's default --experimental-watch-progress-notify-interval. */
export const WATCH_PROGRESS_NOTIFY_INTERVAL_MS = 10 * 60 * 1000;
/** A `hasleader` stream ends after this many consecutive leaderless checks (etcd's maxNoLeaderCnt). */
const NO_LEADER_CHECKS_MAX = 3;
/** Retry interval of a deferred WatchProgressRequest (watchers still catching up). */
const DEFERRED_PROGRESS_RETRY_MS = 50;

export interface WatchServiceOptions {
  /** Interval of progress notifications for watchers created with progress_notify (±10% jitter). */
  progressNotifyIntervalMs?: number;
  /** --max-request-bytes: fragmenting splits responses at this plus the gRPC overhead. */
  maxRequestBytes?: number;
  /** How often `hasleader` streams check for a leader (etcd: the election timeout). */
  leaderCheckIntervalMs?: number;
  /** Catch-up tuning of the watchable store. */
  store?: WatchableStoreOptions;
}

type WatchCall = grpc.ServerDuplexStream<WatchRequest, WatchResponse>;

/**
 * Handlers for WatchService (method `watch`). Creates the server's WatchableStore and subscribes it
 * to applied events. Never throws; stream errors travel as gRPC statuses.
 */
export function watchHandlers(
  server: EtcdServer, probe: LeaderProbe, options: WatchServiceOptions = {},
): grpc.UntypedServiceImplementation {
  const store = new WatchableStore(() => server.store, options.store ?? {});
  server.watchGauges = () => store.gauges();
  configureDashboard(server, { watchers: () => store.gauges().watchers });
  server.onEvents((events, revision) => store.notify(events, revision));
  server.onStop(() => store.close());
  const settings: SessionSettings = {
    progressIntervalMs: options.progressNotifyIntervalMs ?? WATCH_PROGRESS_NOTIFY_INTERVAL_MS,
    fragmentBytes: (options.maxRequestBytes ?? Limits.requestBytesMax) + Limits.grpcOverheadBytes,
    leaderCheckIntervalMs: options.leaderCheckIntervalMs ?? Math.max(100, (server.requestTimeoutMs - 5000) / 2),
  };
  return {
    watch: (call: WatchCall) => {
      if (probe.isLearner()) return fail(call, etcdError('ERR_LEARNER_NOT_SUPPORTED'));
      const requireLeader = requiresLeader(call.metadata);
      if (requireLeader && !probe.hasLeader()) return fail(call, etcdError('ERR_NO_LEADER'));
      new WatchSession(call, server, store, probe, settings, requireLeader).start();
    },
  };
}

interface SessionSettings {
  progressIntervalMs: number;
  fragmentBytes: number;
  leaderCheckIntervalMs: number;
}

interface WatchFlags {
  prevKv: boolean;
  fragment: boolean;
  progressNotify: boolean;
  /** No events were sent since the last progress tick. */
  idle: boolean;
}

function fail(call: WatchCall, error: unknown): void {
  call.emit('error', toServiceError(error));
}

/** One Watch RPC. */
class WatchSession {
  private readonly stream: WatchStream;
  private readonly flags = new Map<number, WatchFlags>();
  private readonly timers: NodeJS.Timeout[] = [];
  private blocked = false;
  private pumpScheduled = false;
  private paused = false;
  private deferredProgress: NodeJS.Timeout | undefined;
  private leaderlessChecks = 0;
  private closed = false;

  constructor(
    private readonly call: WatchCall,
    private readonly server: EtcdServer,
    store: WatchableStore,
    private readonly probe: LeaderProbe,
    private readonly settings: SessionSettings,
    private readonly requireLeader: boolean,
  ) {
    this.stream = new WatchStream(store, () => this.schedulePump());
  }

  start(): void {
    this.call.on('data', (request: WatchRequest) => this.onRequest(request));
    this.call.on('error', () => this.close());
    this.call.on('close', () => this.close());
    this.call.on('cancelled', () => this.close());
    const jitter = 1 + Math.random() * 0.1;
    this.every(Math.round(this.settings.progressIntervalMs * jitter), () => this.progressTick());
    if (this.requireLeader) this.every(this.settings.leaderCheckIntervalMs, () => this.leaderCheck());
  }

  private every(intervalMs: number, tick: () => void): void {
    const timer = setInterval(tick, intervalMs);
    timer.unref();
    this.timers.push(timer);
  }

  private onRequest(request: WatchRequest): void {
    if (this.closed) return;
    if (request.createRequest !== undefined) this.onCreate(request.createRequest);
    else if (request.cancelRequest !== undefined) {
      const id = request.cancelRequest.watchId;
      if (this.stream.cancel(id)) this.flags.delete(id);
    } else if (request.progressRequest !== undefined) {
      this.onProgressRequest();
    }
    if (this.stream.controlBacklog() >= WATCH_STREAM_CONTROL_BUFFER && !this.paused) {
      this.paused = true;
      this.call.pause();
    }
  }

  private onCreate(request: WatchCreateRequest): void {
    if (!this.watchPermitted(request)) {
      // As etcd: a created-and-canceled response whose reason is the gRPC form of the permission error.
      this.call.write(WatchResponse.create({ header: this.server.header(), watchId: INVALID_WATCH_ID, created: true,
        canceled: true, cancelReason: `rpc error: code = PermissionDenied desc = ${etcdError('ERR_PERMISSION_DENIED').message}` }));
      return;
    }
    const id = this.stream.create({
      key: request.key, rangeEnd: request.rangeEnd, startRevision: request.startRevision, watchId: request.watchId,
      noPut: request.filters.includes(WatchCreateRequest_FilterType.NOPUT),
      noDelete: request.filters.includes(WatchCreateRequest_FilterType.NODELETE),
    });
    if (id === INVALID_WATCH_ID) return;
    const { prevKv, fragment, progressNotify } = request;
    this.flags.set(id, { prevKv, fragment, progressNotify, idle: true });
  }

  /** Read permission on the watched range (an invalid token or no credentials: not permitted). */
  private watchPermitted(request: WatchCreateRequest): boolean {
    try {
      this.server.auth.checkRange(authInfoFromCallNow(this.server, this.call as unknown as CallLike), request.key,
        request.rangeEnd);
      return true;
    } catch {
      return false;
    }
  }

  private onProgressRequest(): void {
    if (this.deferredProgress !== undefined || this.stream.requestProgressAll()) return;
    this.deferredProgress = setInterval(() => {
      if (this.closed || !this.stream.requestProgressAll()) return;
      clearInterval(this.deferredProgress);
      this.deferredProgress = undefined;
    }, DEFERRED_PROGRESS_RETRY_MS);
    this.deferredProgress.unref();
  }

  private progressTick(): void {
    for (const [id, flags] of this.flags) {
      if (!flags.progressNotify) continue;
      if (flags.idle) this.stream.requestProgress(id);
      flags.idle = true;
    }
  }

  private leaderCheck(): void {
    if (this.probe.hasLeader()) {
      this.leaderlessChecks = 0;
      return;
    }
    if (++this.leaderlessChecks < NO_LEADER_CHECKS_MAX) return;
    fail(this.call, etcdError('ERR_NO_LEADER'));
    this.close();
  }

  private schedulePump(): void {
    if (this.pumpScheduled || this.blocked || this.closed) return;
    this.pumpScheduled = true;
    setImmediate(() => this.pump());
  }

  /** Writes queued responses until grpc's buffer is full; resumes on 'drain'. */
  private pump(): void {
    this.pumpScheduled = false;
    while (!this.blocked && !this.closed) {
      const output = this.stream.take();
      if (output === undefined) break;
      for (const response of this.toResponses(output)) {
        if (!this.call.write(response)) this.blocked = true;
      }
    }
    if (this.paused && this.stream.controlBacklog() < WATCH_STREAM_CONTROL_BUFFER) {
      this.paused = false;
      this.call.resume();
    }
    if (this.blocked && !this.closed) {
      this.call.once('drain', () => {
        this.blocked = false;
        this.pump();
      });
    }
  }

  private toResponses(output: WatchOutput): WatchResponse[] {
    const flags = this.flags.get(output.watchId);
    if (output.canceled) this.flags.delete(output.watchId);
    if (flags !== undefined && output.events.length > 0) flags.idle = false;
    const events = flags?.prevKv === true
      ? output.events.map((e) => this.withPrevKv(e))
      : output.events.map((e) => (e.prevKv === undefined ? e : { ...e, prevKv: undefined }));
    const response = WatchResponse.create({
      header: this.server.header(output.revision), watchId: output.watchId, created: output.created,
      canceled: output.canceled, compactRevision: output.compactRevision, cancelReason: output.cancelReason, events,
    });
    if (flags?.fragment !== true) return [response];
    return fragmentResponse<Event, WatchResponse>(response, this.settings.fragmentBytes, {
      responseBytes: (r) => WatchResponse.encode(r).length,
      eventFieldBytes: (e) => {
        const bytes = Event.encode(e).length;
        return 1 + varintSize(bytes) + bytes;
      },
    });
  }

  /**
   * `event` with prev_kv: the key at mod_revision - 1 (none for creates or if compacted). Live events
   * carry it from the write transaction already; history events are looked up.
   */
  private withPrevKv(event: Event): Event {
    const kv = event.kv;
    if (event.prevKv !== undefined) return event;
    if (kv === undefined || (event.type === 0 && kv.createRevision === kv.modRevision)) return event;
    let prevKv: KeyValue | undefined;
    try {
      prevKv = this.server.store.range(kv.key, new Uint8Array(0), { revision: kv.modRevision - 1 }).kvs[0];
    } catch {
      prevKv = undefined;
    }
    return prevKv === undefined ? event : { ...event, prevKv };
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.timers) clearInterval(timer);
    if (this.deferredProgress !== undefined) clearInterval(this.deferredProgress);
    this.stream.close();
    this.flags.clear();
  }
}
