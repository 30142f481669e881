/** etcdctl's `table` printer: only member list and the endpoint commands support it. */
import type * as pb from '../../../proto/gen/etcdserverpb.js';
import type { Output } from '../command.js';
import { hexId, UnsupportedPrinter } from './printer.js';
import type { EndpointHashKV, EndpointHealth, EndpointStatus } from './printer.js';
import { statusRows } from './simple.js';
import { renderTable } from './tablewriter.js';

export class TablePrinter extends UnsupportedPrinter {
  constructor(private readonly out: Output) {
    super('table');
  }

  override memberList(r: pb.MemberListResponse): void {
    const rows = r.members.map((m) => [hexId(m.ID), m.name.length > 0 ? 'started' : 'unstarted', m.name,
      m.peerURLs.join(','), m.clientURLs.join(','), String(m.isLearner)]);
    this.out.stdout(renderTable(['ID', 'STATUS', 'NAME', 'PEER ADDRS', 'CLIENT ADDRS', 'IS LEARNER'], rows));
  }

  override endpointHealth(hs: EndpointHealth[]): void {
    const rows = hs.map((h) => [h.endpoint, String(h.health), h.took, h.error]);
    this.out.stdout(renderTable(['ENDPOINT', 'HEALTH', 'TOOK', 'ERROR'], rows));
  }

  override endpointStatus(ss: EndpointStatus[]): void {
    this.out.stdout(renderTable(['ENDPOINT', 'ID', 'VERSION', 'DB SIZE', 'IS LEADER', 'IS LEARNER', 'RAFT TERM',
      'RAFT INDEX', 'RAFT APPLIED INDEX', 'ERRORS'], statusRows(ss)));
  }

  override endpointHashKV(hs: EndpointHashKV[]): void {
    this.out.stdout(renderTable(['ENDPOINT', 'HASH'], hs.map((h) => [h.endpoint, String(h.hashKV.hash)])));
  }
}
