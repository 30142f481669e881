/** Small constructors for command flag specs. */
import type { FlagSpec } from '../flag-parser.js';

export const boolFlag = (name: string, usage: string, short?: string): FlagSpec =>
  short === undefined ? { name, kind: 'bool', defaultText: 'false', usage } : { name, short, kind: 'bool', defaultText: 'false', usage };
export const stringFlag = (name: string, defaultText: string, usage: string): FlagSpec =>
  ({ name, kind: 'string', defaultText, usage });
export const intFlag = (name: string, usage: string): FlagSpec => ({ name, kind: 'int', defaultText: '0', usage });
