/** Display of watch responses (clientv3.WatchResponse) and keep-alive responses in every format. */
import * as pb from '../../../proto/gen/etcdserverpb.js';
import type { KeyValue } from '../../../proto/gen/mvccpb.js';
import type { RunContext } from '../command.js';
import { goQuote, goString } from '../go-format.js';
import * as J from '../printers/json-extra.js';
import { leaseHex, u64 } from '../printers/printer.js';
import { hexEscaped } from '../printers/simple.js';
import { display } from './display.js';

const EVENT_TYPES = ['PUT', 'DELETE'];

/** The fields printer's header lines. */
export function fieldsHeader(h: pb.ResponseHeader | undefined): string {
  return `"ClusterID" : ${u64(h?.clusterId ?? 0n)}\n"MemberID" : ${u64(h?.memberId ?? 0n)}\n` +
    `"Revision" : ${h?.revision ?? 0}\n"RaftTerm" : ${h?.raftTerm ?? 0}\n`;
}

function fieldsKv(prefix: string, kv: KeyValue): string {
  return `"${prefix}Key" : ${goQuote(kv.key)}\n"${prefix}CreateRevision" : ${kv.createRevision}\n` +
    `"${prefix}ModRevision" : ${kv.modRevision}\n"${prefix}Version" : ${kv.version}\n` +
    `"${prefix}Value" : ${goQuote(kv.value)}\n"${prefix}Lease" : ${kv.lease}\n`;
}

/** Prints one watch response the way etcdctl's printers do. Throws CtlExit for table. */
export function printWatchResponse(ctx: RunContext, r: pb.WatchResponse): void {
  const text = (b: Uint8Array): string => (ctx.globals.hex ? hexEscaped(b) : goString(b));
  display(ctx, {
    simple: () => {
      let out = '';
      for (const e of r.events) {
        out += `${EVENT_TYPES[e.type] ?? e.type}\n`;
        if (e.prevKv !== undefined) out += `${text(e.prevKv.key)}\n${text(e.prevKv.value)}\n`;
        if (e.kv !== undefined) out += `${text(e.kv.key)}\n${text(e.kv.value)}\n`;
      }
      ctx.out.stdout(out);
    },
    json: () => J.watchJson(r),
    protobuf: () => pb.WatchResponse.encode(pb.WatchResponse.create({ header: r.header ?? pb.ResponseHeader.create(),
      events: r.events, compactRevision: r.compactRevision, canceled: r.canceled, created: r.created })),
    fields: () => {
      let out = fieldsHeader(r.header);
      for (const e of r.events) {
        out += `"Type" : ${EVENT_TYPES[e.type] ?? e.type}\n`;
        if (e.prevKv !== undefined) out += fieldsKv('Prev', e.prevKv);
        if (e.kv !== undefined) out += fieldsKv('', e.kv);
      }
      ctx.out.stdout(out);
    },
  });
}

/** Prints one keep-alive response (clientv3.LeaseKeepAliveResponse). Throws CtlExit for table. */
export function printKeepAlive(ctx: RunContext, r: pb.LeaseKeepAliveResponse): void {
  display(ctx, {
    simple: () => ctx.out.stdout(`lease ${leaseHex(r.ID)} keepalived with TTL(${r.TTL})\n`),
    json: () => J.keepAliveJson(r),
    protobuf: () => pb.ResponseHeader.encode(r.header ?? pb.ResponseHeader.create()),
    fields: () => ctx.out.stdout(`${fieldsHeader(r.header)}"ID" : ${r.ID}\n"TTL" : ${r.TTL}\n`),
  });
}
