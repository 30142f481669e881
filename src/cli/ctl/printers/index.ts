/** NewPrinter: picks the printer for `--write-out`. */
import type { Output } from '../command.js';
import { CtlExit, ExitCode } from '../errors.js';
import { FieldsPrinter } from './fields.js';
import { JsonPrinter } from './json.js';
import type { Printer } from './printer.js';
import { ProtobufPrinter } from './protobuf.js';
import { SimplePrinter } from './simple.js';
import { TablePrinter } from './table.js';

/** Throws CtlExit(BAD_FEATURE, "unsupported output format") for an unknown format. */
export function newPrinter(format: string, isHex: boolean, out: Output): Printer {
  switch (format) {
    case 'simple': return new SimplePrinter(out, isHex);
    case 'json': return new JsonPrinter(out);
    case 'fields': return new FieldsPrinter(out);
    case 'table': return new TablePrinter(out);
    case 'protobuf': return new ProtobufPrinter(out);
    default: throw new CtlExit(ExitCode.BAD_FEATURE, 'unsupported output format');
  }
}

export { SimplePrinter } from './simple.js';
export type { Printer, EndpointHealth, EndpointStatus, EndpointHashKV } from './printer.js';
