/** Member record JSON: the format lives in src/platform/member-record.ts (shared with src/snapshot's restore). */
export { decodeMemberJson, encodeMemberJson } from '../../platform/member-record.js';
