/**
 * etcdctl's help/usage text (its custom cobra usage template run through a tab writer):
 * NAME, USAGE, [VERSION, API VERSION], COMMANDS, DESCRIPTION, OPTIONS, GLOBAL OPTIONS.
 */
import type { FlagSpec } from './flag-parser.js';
import { commandPath } from './command.js';
import type { CtlCommand } from './command.js';
import { GLOBAL_FLAGS } from './global-flags.js';

/** etcdctl release whose interface this CLI reproduces (printed by `version` and help). */
export const ETCDCTL_COMPAT_VERSION = '3.4.23';
/** API version etcdctl 3.4 reports. */
export const ETCDCTL_API_VERSION = '3.4';

const TAB_WIDTH = 8;

/** Aligns two-column lines the way Go's tabwriter(minwidth 0, tabwidth 8, padding 1, '\t') does. */
export function alignColumns(rows: readonly (readonly [string, string])[], prefix = ''): string {
  const widest = Math.max(0, ...rows.map(([left]) => [...left].length));
  const cell = Math.ceil((widest + 1) / TAB_WIDTH) * TAB_WIDTH;
  return rows.map(([left, right]) => {
    const tabs = Math.ceil((cell - [...left].length) / TAB_WIDTH);
    return `${prefix}${left}${'\t'.repeat(tabs)}${right}\n`;
  }).join('');
}

/** Help flag cobra adds to every command. */
export function helpFlag(cmd: CtlCommand): FlagSpec {
  return { name: 'help', short: 'h', kind: 'bool', defaultText: 'false', usage: `help for ${cmd.name}` };
}

function flagLeft(flag: FlagSpec): string {
  const head = flag.short === undefined ? `      --${flag.name}` : `  -${flag.short}, --${flag.name}`;
  const value = flag.kind === 'string' ? JSON.stringify(flag.defaultText) : flag.defaultText;
  return flag.kind === 'bool' ? `${head}[=${value}]` : `${head}=${value}`;
}

/** The OPTIONS block lines for `flags`, sorted by name as pflag's VisitAll does. */
export function flagUsages(flags: readonly FlagSpec[]): string {
  const sorted = flags.filter((f) => f.hidden !== true)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return alignColumns(sorted.map((f) => [flagLeft(f), f.usage] as const));
}

/** Flags a command owns (its local + persistent flags and -h). */
export function localFlags(cmd: CtlCommand): FlagSpec[] {
  const own = [...(cmd.flags ?? []), ...(cmd.persistentFlags ?? []), helpFlag(cmd)];
  return cmd.parent === undefined ? [...GLOBAL_FLAGS, ...own] : own;
}

/** Persistent flags inherited from ancestors (globals first come from the root). */
export function inheritedFlags(cmd: CtlCommand): FlagSpec[] {
  const inherited: FlagSpec[] = [];
  for (let p = cmd.parent; p !== undefined; p = p.parent) {
    inherited.push(...(p.parent === undefined ? GLOBAL_FLAGS : (p.persistentFlags ?? [])));
  }
  return inherited;
}

function runnableDescendants(cmd: CtlCommand, base: CtlCommand): [string, string][] {
  const rows: [string, string][] = [];
  for (const child of cmd.children ?? []) {
    if (child.hidden === true) continue;
    if (child.run !== undefined) rows.push([commandPath(child).slice(commandPath(base).length + 1), child.short]);
    rows.push(...runnableDescendants(child, base));
  }
  return rows.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

function useLine(cmd: CtlCommand): string {
  const path = cmd.parent === undefined ? '' : `${commandPath(cmd.parent)} `;
  return cmd.use.includes('[flags]') ? `${path}${cmd.use}` : `${path}${cmd.use} [flags]`;
}

/** The full usage text etcdctl prints for `cmd` (-h, help, flag errors). Throws nothing. */
export function usageText(cmd: CtlCommand): string {
  const isRoot = cmd.parent === undefined;
  const nameText = isRoot ? cmd.name : commandPath(cmd).split(' ').slice(1).join(' ');
  let text = `NAME:\n\t${nameText} - ${cmd.short}\n\nUSAGE:\n\t${useLine(cmd)}\n`;
  if (isRoot) text += `\nVERSION:\n\t${ETCDCTL_COMPAT_VERSION}\n`;
  if ((cmd.children ?? []).length > 0) {
    text += `\nAPI VERSION:\n\t${ETCDCTL_API_VERSION}\n\n\nCOMMANDS:\n`;
    text += alignColumns(runnableDescendants(cmd, cmd), '\t');
  }
  if (cmd.long !== undefined) {
    text += '\nDESCRIPTION:\n' + cmd.long.trim().split('\n').map((line) => `\t${line}\n`).join('');
  }
  text += `\nOPTIONS:\n${flagUsages(localFlags(cmd))}`;
  if (!isRoot) text += `\nGLOBAL OPTIONS:\n${flagUsages(inheritedFlags(cmd))}`;
  return `${text}\n`;
}
