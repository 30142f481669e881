/**
 * Request ids unique across members and restarts, as etcd's idutil: the top 16 bits are the low bits of
 * the member id, the next 40 bits the start time in ms (so a restart does not reuse ids), the low 8 bits
 * plus carry a counter. Ids are bigint (uint64).
 */
export class IdGenerator {
  private next: bigint;

  constructor(memberId: bigint, nowMs: number) {
    const prefix = (memberId & 0xffffn) << 48n;
    const time = (BigInt(Math.floor(nowMs)) & 0xffffffffffn) << 8n;
    this.next = prefix | time;
  }

  nextId(): bigint {
    this.next = BigInt.asUintN(64, this.next + 1n);
    return this.next;
  }
}
