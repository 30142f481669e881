/** Optional structured logging hook of the raft core (pure: the core only calls it). */
export interface RaftLogger {
  debug(text: string): void;
  info(text: string): void;
  warn(text: string): void;
}

/** Discards everything (the default). */
export const silentLogger: RaftLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
};
