/**
 * A fixed set of `conns` gRPC connections spread over the endpoints. Requests pick connections
 * round-robin. When a connection reports Unavailable, its slot is re-pointed at the next endpoint
 * (only when there is more than one), so later requests fail over; the pool itself never re-sends.
 *
 * Each slot gets its own grpc-js subchannel pool, so `conns` really opens that many TCP connections
 * (grpc-js otherwise shares one connection among clients with equal target and options).
 */
import * as grpc from '@grpc/grpc-js';
import { assert } from '../base/assert.js';
import type { Endpoint } from './endpoints.js';

/** Most connections one client opens. */
export const CONNS_MAX = 1_000;

/** One live connection. `generation` changes whenever the slot is re-pointed. */
export interface Channel {
  readonly slot: number;
  readonly endpoint: Endpoint;
  readonly client: grpc.Client;
  readonly generation: number;
}

/** TLS material; any buffer may be omitted (system roots are used without `ca`). */
export interface TlsOptions {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  /** Accept any server certificate (etcdctl --insecure-skip-tls-verify). For testing only. */
  skipVerify?: boolean;
}

/** Channel arguments every connection uses. */
const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  'grpc.use_local_subchannel_pool': 1,
  // etcd's own client lifts the receive limit; large ranges would fail at the 4 MiB default.
  'grpc.max_receive_message_length': -1,
  'grpc.max_send_message_length': -1,
};

/** Builds channel credentials: TLS when any endpoint is https:// or TLS material is given. */
export function makeCredentials(secure: boolean, tls: TlsOptions | undefined): grpc.ChannelCredentials {
  if (!secure && tls === undefined) return grpc.credentials.createInsecure();
  const verify: grpc.VerifyOptions = tls?.skipVerify === true
    ? { rejectUnauthorized: false, checkServerIdentity: () => undefined } : {};
  return grpc.credentials.createSsl(tls?.ca ?? null, tls?.key ?? null, tls?.cert ?? null, verify);
}

/** The connection set. Not safe to use after close(). */
export class ChannelPool {
  private readonly channels: Channel[] = [];
  private readonly endpointIndexBySlot: number[] = [];
  private nextSlot = 0;
  private closed = false;

  /** Throws AssertionError on an empty endpoint list or a bad `conns`. */
  constructor(
    private readonly endpoints: readonly Endpoint[],
    conns: number,
    private readonly credentials: grpc.ChannelCredentials,
    private readonly extraOptions: grpc.ChannelOptions = {},
  ) {
    assert(endpoints.length > 0, 'at least one endpoint is required');
    assert(Number.isSafeInteger(conns) && conns >= 1 && conns <= CONNS_MAX, `bad conns ${conns}`);
    for (let slot = 0; slot < conns; slot++) {
      this.endpointIndexBySlot.push(slot % endpoints.length);
      this.channels.push(this.open(slot, 0));
    }
  }

  private open(slot: number, generation: number): Channel {
    const endpoint = this.endpoints[this.endpointIndexBySlot[slot]!]!;
    const client = new grpc.Client(endpoint.address, this.credentials, { ...CHANNEL_OPTIONS, ...this.extraOptions });
    return { slot, endpoint, client, generation };
  }

  /** Every connection, in slot order. */
  all(): readonly Channel[] {
    return this.channels;
  }

  /** The next connection, round-robin. Throws AssertionError after close(). */
  pick(): Channel {
    assert(!this.closed, 'client is closed');
    const channel = this.channels[this.nextSlot]!;
    this.nextSlot = (this.nextSlot + 1) % this.channels.length;
    return channel;
  }

  /**
   * The next connection whose endpoint is not in `avoid` (addresses), round-robin; falls back to
   * plain pick() when every connection is on an avoided endpoint. Throws AssertionError after close().
   */
  pickAvoiding(avoid: ReadonlySet<string>): Channel {
    if (avoid.size === 0) return this.pick();
    for (let i = 0; i < this.channels.length; i++) {
      const channel = this.pick();
      if (!avoid.has(channel.endpoint.address)) return channel;
    }
    return this.pick();
  }

  /**
   * Reports that `channel` failed with Unavailable: with several endpoints, its slot moves to the next
   * endpoint (once per generation, so many concurrent failures move it only once).
   */
  reportUnavailable(channel: Channel): void {
    if (this.closed || this.endpoints.length < 2) return;
    const current = this.channels[channel.slot]!;
    if (current.generation !== channel.generation) return;
    this.endpointIndexBySlot[channel.slot] = (this.endpointIndexBySlot[channel.slot]! + 1) % this.endpoints.length;
    this.channels[channel.slot] = this.open(channel.slot, channel.generation + 1);
    current.client.close();
  }

  /** Closes every connection; in-flight calls fail with Cancelled/Unavailable. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const channel of this.channels) channel.client.close();
  }
}
