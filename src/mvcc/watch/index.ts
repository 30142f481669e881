/** Public surface of the watchable store (what the gRPC layer uses). */
export { fragmentResponse, type FragmentSizes, type Fragmentable } from './fragment.js';
export {
  WatchableStore, type WatchableStoreOptions, type WatchGauges, type WatchHistory, type WatchStats,
} from './watchable-store.js';
export {
  INVALID_WATCH_ID, WATCH_STREAM_CONTROL_BUFFER, WATCH_STREAM_EVENT_BUFFER, WatchStream, type WatchCreate,
} from './watch-stream.js';
export type { WatchOutput } from './watcher.js';
