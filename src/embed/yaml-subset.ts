/**
 * A parser for the YAML subset etcd configuration files use: nested maps by indentation, scalars
 * (plain, 'single' or "double" quoted), `[a, b]` flow lists, `- item` block lists, comments. Anything else
 * (anchors, multi-line scalars, flow maps) is rejected with the line number, so a config never half-parses.
 */
export class YamlError extends Error {
  override readonly name = 'YamlError';
}

export type YamlValue = string | number | boolean | null | YamlValue[] | { [key: string]: YamlValue };

interface Line { indent: number; text: string; number: number }

export function parseYamlSubset(source: string): { [key: string]: YamlValue } {
  const lines: Line[] = [];
  source.split(/\r?\n/).forEach((raw, i) => {
    const text = stripComment(raw).trimEnd();
    if (text.trim() === '' || text.trim() === '---') return;
    if (/\t/.test(raw.slice(0, raw.length - raw.trimStart().length))) throw new YamlError(`line ${i + 1}: tabs are not allowed for indentation`);
    lines.push({ indent: text.length - text.trimStart().length, text: text.trim(), number: i + 1 });
  });
  const [value, next] = parseBlock(lines, 0, 0);
  if (next !== lines.length) throw new YamlError(`line ${lines[next]!.number}: unexpected indentation`);
  if (value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new YamlError('the document must be a map of settings');
  return value;
}

function parseBlock(lines: Line[], start: number, indent: number): [YamlValue, number] {
  const first = lines[start];
  if (first === undefined || first.indent < indent) return [null, start];
  if (first.text.startsWith('- ') || first.text === '-') return parseList(lines, start, first.indent);
  return parseMap(lines, start, first.indent);
}

function parseMap(lines: Line[], start: number, indent: number): [YamlValue, number] {
  const map: { [key: string]: YamlValue } = {};
  let i = start;
  while (i < lines.length && lines[i]!.indent === indent) {
    const line = lines[i]!;
    const match = /^("[^"]*"|'[^']*'|[^:#]+?)\s*:(?:\s+(.*))?$/.exec(line.text);
    if (match === null) throw new YamlError(`line ${line.number}: expected "key: value"`);
    const key = unquote(match[1]!);
    if (key in map) throw new YamlError(`line ${line.number}: duplicate key "${key}"`);
    const rest = match[2];
    if (rest !== undefined && rest !== '') {
      map[key] = parseScalarOrFlow(rest, line.number);
      i++;
    } else {
      const [value, next] = parseBlock(lines, i + 1, indent + 1);
      map[key] = value;
      i = next;
    }
  }
  return [map, i];
}

function parseList(lines: Line[], start: number, indent: number): [YamlValue, number] {
  const list: YamlValue[] = [];
  let i = start;
  while (i < lines.length && lines[i]!.indent === indent && lines[i]!.text.startsWith('-')) {
    const item = lines[i]!.text.slice(1).trim();
    if (item.includes(': ')) throw new YamlError(`line ${lines[i]!.number}: maps inside lists are not supported`);
    list.push(parseScalarOrFlow(item, lines[i]!.number));
    i++;
  }
  return [list, i];
}

function parseScalarOrFlow(text: string, lineNumber: number): YamlValue {
  if (text.startsWith('[')) {
    if (!text.endsWith(']')) throw new YamlError(`line ${lineNumber}: unterminated flow list`);
    const body = text.slice(1, -1).trim();
    return body === '' ? [] : body.split(',').map((part) => parseScalar(part.trim(), lineNumber));
  }
  if (text.startsWith('{') || text.startsWith('&') || text.startsWith('*') || text.startsWith('|') || text.startsWith('>')) {
    throw new YamlError(`line ${lineNumber}: unsupported YAML construct "${text[0]}"`);
  }
  return parseScalar(text, lineNumber);
}

function parseScalar(text: string, lineNumber: number): YamlValue {
  if (text.startsWith('"') || text.startsWith("'")) {
    if (text.length < 2 || text[text.length - 1] !== text[0]) throw new YamlError(`line ${lineNumber}: unterminated string`);
    return unquote(text);
  }
  if (text === '~' || text === 'null' || text === '') return null;
  if (/^(true|True|TRUE)$/.test(text)) return true;
  if (/^(false|False|FALSE)$/.test(text)) return false;
  if (/^-?\d+$/.test(text) && Number.isSafeInteger(Number(text))) return Number(text);
  return text;
}

function unquote(text: string): string {
  if (text.startsWith('"') && text.endsWith('"')) return JSON.parse(text) as string;
  if (text.startsWith("'") && text.endsWith("'")) return text.slice(1, -1).replaceAll("''", "'");
  return text.trim();
}

function stripComment(line: string): string {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote !== undefined) { if (c === quote) quote = undefined; continue; }
    if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]!))) return line.slice(0, i);
  }
  return line;
}
