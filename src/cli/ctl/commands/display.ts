/**
 * Output for commands whose results the Printer interface does not cover (auth, user, role, member
 * changes, watch, keep-alive, ...): each command supplies a renderer per format it supports, as
 * etcdctl's printers do; any other format fails like etcdctl (`<format> not supported as output
 * format`, exit 4).
 */
import type { RunContext } from '../command.js';
import { CtlExit, ExitCode } from '../errors.js';
import { goPrintfBytes } from '../printers/protobuf.js';

/** One renderer per supported format. json returns one JSON value (a newline is added). */
export interface Renderers {
  simple?: () => void;
  json?: () => string;
  protobuf?: () => Uint8Array;
  fields?: () => void;
  table?: () => void;
}

/** Renders with the --write-out format. Throws CtlExit(BAD_FEATURE) for an unsupported one. */
export function display(ctx: RunContext, renderers: Renderers): void {
  const format = ctx.globals.writeOut;
  switch (format) {
    case 'simple':
      if (renderers.simple !== undefined) return renderers.simple();
      break;
    case 'json':
      if (renderers.json !== undefined) return ctx.out.stdout(`${renderers.json()}\n`);
      break;
    case 'protobuf':
      if (renderers.protobuf !== undefined) return ctx.out.stdout(goPrintfBytes(renderers.protobuf()));
      break;
    case 'fields':
      if (renderers.fields !== undefined) return renderers.fields();
      break;
    case 'table':
      if (renderers.table !== undefined) return renderers.table();
      break;
    default:
      break;
  }
  throw new CtlExit(ExitCode.BAD_FEATURE, `${format} not supported as output format`);
}

/** Writes `text` plus a newline to stdout. */
export function println(ctx: RunContext, text: string): void {
  ctx.out.stdout(`${text}\n`);
}
