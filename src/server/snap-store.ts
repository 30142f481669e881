/**
 * Raft snapshot metadata files (`<snap-dir>/<term:016x>-<index:016x>.snap`): the format lives in
 * src/platform/snap-files.ts, shared with src/snapshot's offline restore.
 */
export {
  listSnapFiles, loadNewestSnapMetadata, purgeSnapFiles, saveSnapMetadata, type SnapConfState, type SnapMetadata,
} from '../platform/snap-files.js';
