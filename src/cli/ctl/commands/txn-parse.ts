/**
 * etcdctl's txn input grammar: compare lines (`mod("k") > "0"`), then request lines written like
 * get/put/del command lines. Quoting follows etcdctl's argify (Go %q strings, 'single quotes').
 */
import * as pb from '../../../proto/gen/etcdserverpb.js';
import { CtlExit, ExitCode } from '../errors.js';
import { parseFlags } from '../flag-parser.js';
import type { FlagSpec } from '../flag-parser.js';
import { goQuote, parseGoInt } from '../go-format.js';
import { buildDelete, buildPut, buildRange } from './kv-options.js';

/** A txn input error: etcdctl exits with ExitInvalidInput (3). */
export function invalidInput(text: string): CtlExit {
  return new CtlExit(ExitCode.INVALID_INPUT, text);
}

/** Reads a Go double-quoted or back-quoted string at `at` (after spaces); null when none. */
export function scanQuoted(text: string, at: number): { value: string; end: number } | null {
  let i = at;
  while (text[i] === ' ' || text[i] === '\t') i++;
  const quote = text[i];
  if (quote === '`') {
    const close = text.indexOf('`', i + 1);
    return close < 0 ? null : { value: text.slice(i + 1, close), end: close + 1 };
  }
  if (quote !== '"') return null;
  let j = i + 1;
  while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
  if (j >= text.length) return null;
  try {
    return { value: JSON.parse(text.slice(i, j + 1).replace(/\\x([0-9a-fA-F]{2})/g, '\\u00$1')) as string, end: j + 1 };
  } catch {
    return null;
  }
}

const COMPARE_RESULTS: Readonly<Record<string, number>> = {
  '=': pb.Compare_CompareResult.EQUAL, '!=': pb.Compare_CompareResult.NOT_EQUAL,
  '>': pb.Compare_CompareResult.GREATER, '<': pb.Compare_CompareResult.LESS,
};

/** Scans `"key") op "value"` as fmt.Sscanf(rest, "%q) %s %q") would; returns the parts and count. */
function scanCompare(rest: string): { key: string; op: string; val: string; n: number } {
  const parts = { key: '', op: '', val: '', n: 0 };
  const key = scanQuoted(rest, 0);
  if (key === null) return parts;
  parts.key = key.value;
  parts.n = 1;
  if (rest[key.end] !== ')') return parts;
  let i = key.end + 1;
  while (rest[i] === ' ') i++;
  const opMatch = /^\S+/.exec(rest.slice(i));
  if (opMatch === null) return parts;
  parts.op = opMatch[0];
  parts.n = 2;
  const val = scanQuoted(rest, i + opMatch[0].length);
  if (val === null) return parts;
  parts.val = val.value;
  parts.n = 3;
  return parts;
}

function compareInt(line: string, val: string): number {
  try {
    return Number(parseGoInt(val));
  } catch {
    // etcdctl 3.4 reports a non-numeric revision/version as an invalid compare request.
    throw invalidInput(`invalid txn compare request: ${line}`);
  }
}

/** parseCompare. Throws CtlExit(INVALID_INPUT) with etcdctl's messages. */
export function parseCompare(line: string): pb.Compare {
  const paren = line.indexOf('(');
  if (paren < 0) throw invalidInput(`malformed comparison: ${line}`);
  const target = line.slice(0, paren);
  const { key, op, val, n } = scanCompare(line.slice(paren + 1));
  if (n !== 3) throw invalidInput(`malformed comparison: ${line}; got ${target}(${goQuote(key)}) ${op} ${goQuote(val)}`);
  const keyBytes = new TextEncoder().encode(key);
  const base = { key: keyBytes };
  let compare: Partial<pb.Compare>;
  switch (target) {
    case 'ver': case 'version':
      compare = { ...base, target: pb.Compare_CompareTarget.VERSION, version: compareInt(line, val) }; break;
    case 'c': case 'create':
      compare = { ...base, target: pb.Compare_CompareTarget.CREATE, createRevision: compareInt(line, val) }; break;
    case 'm': case 'mod':
      compare = { ...base, target: pb.Compare_CompareTarget.MOD, modRevision: compareInt(line, val) }; break;
    case 'val': case 'value':
      compare = { ...base, target: pb.Compare_CompareTarget.VALUE, value: new TextEncoder().encode(val) }; break;
    default:
      throw invalidInput(`malformed comparison: ${line} (unknown target ${target})`);
  }
  const result = COMPARE_RESULTS[op];
  if (result === undefined) throw invalidInput(`malformed comparison: ${line} (unknown op ${op})`);
  return pb.Compare.create({ ...compare, result });
}

const ARG_PATTERN = /"(?:[^"\\]|\\.)*"|'[^']*'|[^'"\s]\S*[^'"\s]?/g;

/** etcdctl's argify: split a request line into arguments, unquoting "..." (Go %q) and '...'. */
export function argify(line: string): string[] {
  const args = line.match(ARG_PATTERN) ?? [];
  return args.map((arg, _i, all) => {
    if (arg.startsWith("'")) {
      // etcdctl slices with the argument count, not the argument length; reproduce it.
      const end = all.length - 1;
      if (end < 1 || end > arg.length) throw invalidInput(`slice bounds out of range [1:${end}]`);
      return arg.slice(1, end);
    }
    if (arg.startsWith('"')) {
      const parsed = scanQuoted(arg, 0);
      if (parsed === null) throw invalidInput('unexpected EOF');
      return parsed.value;
    }
    return arg;
  });
}

/** Builds a request op from one line; throws CtlExit(INVALID_INPUT) on malformed lines. */
export function parseRequestOp(line: string,
  flagSets: { get: FlagSpec[]; put: FlagSpec[]; del: FlagSpec[] }): pb.RequestOp {
  const args = argify(line);
  if (args.length < 2) throw invalidInput(`invalid txn compare request: ${line}`);
  const [verb, ...rest] = args;
  const specs = verb === 'get' ? flagSets.get : verb === 'put' ? flagSets.put : verb === 'del' ? flagSets.del : null;
  if (specs === null) throw invalidInput(`invalid txn request: ${line}`);
  let parsed;
  try {
    parsed = parseFlags(rest, specs);
  } catch {
    throw invalidInput(`invalid txn request: ${line}`);
  }
  const { positional, values } = parsed;
  if (verb === 'get') return pb.RequestOp.create({ requestRange: buildRange(positional, values) });
  if (verb === 'del') return pb.RequestOp.create({ requestDeleteRange: buildDelete(positional, values) });
  if (positional.length < 2) {
    throw new CtlExit(ExitCode.BAD_ARGS, 'put command needs 1 argument and input from stdin or 2 arguments');
  }
  const value = new TextEncoder().encode(positional[1]!);
  return pb.RequestOp.create({ requestPut: buildPut(positional[0]!, value, values) });
}
