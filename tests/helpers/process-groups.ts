/**
 * Server process groups started by the test helpers. Every group still alive when the test process exits,
 * or is interrupted, is SIGKILLed, so no test leaves servers behind.
 */
export const liveGroups = new Set<number>();

/** Sends `signal` to the process group `pid` (ignores groups that are already gone). */
export function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

function killAllGroups(): void {
  for (const pid of liveGroups) signalGroup(pid, 'SIGKILL');
  liveGroups.clear();
}

process.on('exit', killAllGroups);
// A signal ends the test process without 'exit': kill the servers, then die of the same signal.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    killAllGroups();
    process.kill(process.pid, signal);
  });
}
