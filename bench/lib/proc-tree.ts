/** Linux /proc sampling for the benchmarks: RSS and CPU time of process trees, and stopping a child. */
import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** Linux USER_HZ: /proc/<pid>/stat times are in these ticks. */
const CLOCK_TICKS_PER_SECOND = 100;
/** How long a SIGTERM'd child gets before SIGKILL. */
const STOP_TIMEOUT_MS = 15_000;

/** RSS and CPU time (utime + stime) of `pids` plus all their descendants (a launcher may fork the server). */
export function sampleProcessTree(pids: number[]): { rssBytes: number; cpuMs: number } {
  const childrenOf = new Map<number, number[]>();
  const cpuTicksOf = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ppid = Number(fields[1]);
      childrenOf.set(ppid, [...(childrenOf.get(ppid) ?? []), Number(name)]);
      cpuTicksOf.set(Number(name), Number(fields[11]) + Number(fields[12]));
    } catch { /* the process exited while we looked */ }
  }
  let rssBytes = 0;
  let cpuTicks = 0;
  const stack = [...pids];
  while (stack.length > 0) {
    const next = stack.pop()!;
    try {
      const kib = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${next}/status`, 'utf8'))?.[1];
      rssBytes += Number(kib ?? 0) * 1024;
    } catch { /* gone */ }
    cpuTicks += cpuTicksOf.get(next) ?? 0;
    stack.push(...(childrenOf.get(next) ?? []));
  }
  return { rssBytes, cpuMs: (cpuTicks * 1000) / CLOCK_TICKS_PER_SECOND };
}

/** SIGTERM, then SIGKILL after STOP_TIMEOUT_MS; resolves when the child has exited. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolveExit) => child.once('exit', resolveExit));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}
