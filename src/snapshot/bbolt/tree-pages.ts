/**
 * In-memory B+tree page building: leaves packed full, then each branch level above them, pgids
 * allocated in that order from a running counter. The in-memory writer uses it for every bucket; the
 * streaming writer for the small root-bucket tree, and its branch-level rule for streamed buckets.
 */
import {
  branchElementBytes, branchPageBytes, encodeBranch, encodeLeaf, leafElementBytes, leafPageBytes, packLevel,
  pageSpan, type BranchChild, type LeafElement,
} from './pages.js';

/** Pages written so far and the next free pgid. */
export class PageSink {
  readonly pages: Uint8Array[] = [];

  constructor(readonly pageSizeBytes: number, public nextPgid: number) {}

  /** Reserves pages for a body of `sizeBytes`; returns the pgid, overflow count and zeroed buffer. */
  allocate(sizeBytes: number): { pgid: number; overflow: number; bytes: Uint8Array } {
    const span = pageSpan(sizeBytes, this.pageSizeBytes);
    const bytes = new Uint8Array(span * this.pageSizeBytes);
    const pgid = this.nextPgid;
    this.nextPgid += span;
    this.pages.push(bytes);
    return { pgid, overflow: span - 1, bytes };
  }
}

/**
 * The branch levels above `children` (one per leaf page, in order): calls `place` for each branch page
 * with its children, bottom level first, and returns the root pgid (the only child when there is one).
 */
export function buildBranches(children: readonly BranchChild[], pageSizeBytes: number,
  place: (children: readonly BranchChild[]) => number): number {
  let level: readonly BranchChild[] = children;
  while (level.length > 1) {
    const groups = packLevel(level, (child) => branchElementBytes(child.key.length), pageSizeBytes);
    level = groups.map((group) => ({ key: group[0]!.key, pgid: place(group) }));
  }
  return level[0]!.pgid;
}

/** Writes a branch page for `children` into `sink`; returns its pgid. */
export function placeBranch(sink: PageSink, children: readonly BranchChild[]): number {
  const { pgid, overflow, bytes } = sink.allocate(branchPageBytes(children));
  encodeBranch(bytes, pgid, overflow, children);
  return pgid;
}

/** Writes the whole tree of `elements` (sorted) into `sink`; returns its root pgid. */
export function writeTree(sink: PageSink, elements: readonly LeafElement[]): number {
  const groups = packLevel(elements, (e) => leafElementBytes(e.key.length, e.value.length), sink.pageSizeBytes);
  const leaves = groups.map((group): BranchChild => {
    const { pgid, overflow, bytes } = sink.allocate(leafPageBytes(group));
    encodeLeaf(bytes, pgid, overflow, group);
    return { key: group[0]?.key ?? new Uint8Array(0), pgid };
  });
  return buildBranches(leaves, sink.pageSizeBytes, (children) => placeBranch(sink, children));
}
