/**
 * Parser for datadriven scripts: blocks of
 *   # comments
 *   command arg key=value key=(a,b)
 *   ----
 *   expected output (until a blank line)
 */
export interface ScriptArg {
  key: string;
  values: string[];
}

export interface ScriptCase {
  /** 1-based line of the command. */
  line: number;
  /** Comment/blank lines preceding the command (kept verbatim for rewriting). */
  preamble: string[];
  command: string;
  args: ScriptArg[];
  text: string;
  expected: string;
}

/** Parses "cmd a b=c d=(1,2)" into a command and args (a positional arg has key = its value). */
export function parseCommandLine(text: string): { command: string; args: ScriptArg[] } {
  const tokens = text.trim().split(/\s+/);
  const command = tokens.shift() ?? '';
  const args = tokens.map((token): ScriptArg => {
    const eq = token.indexOf('=');
    if (eq < 0) return { key: token, values: [] };
    const key = token.slice(0, eq);
    let value = token.slice(eq + 1);
    if (value.startsWith('(') && value.endsWith(')')) value = value.slice(1, -1);
    return { key, values: value === '' ? [] : value.split(',') };
  });
  return { command, args };
}

/** @throws Error on a command without a '----' separator. */
export function parseScript(source: string): { cases: ScriptCase[]; trailer: string[] } {
  const lines = source.split('\n');
  const cases: ScriptCase[] = [];
  let preamble: string[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    if (line.trim() === '' || line.startsWith('#')) {
      preamble.push(line);
      i++;
      continue;
    }
    const commandLine = i + 1;
    const { command, args } = parseCommandLine(line);
    i++;
    if (lines[i] !== '----') throw new Error(`line ${commandLine}: expected ---- after command`);
    i++;
    const expected: string[] = [];
    while (i < lines.length && lines[i] !== '') expected.push(lines[i++]!);
    cases.push({ line: commandLine, preamble, command, args, text: line, expected: expected.join('\n') });
    preamble = [];
  }
  return { cases, trailer: preamble };
}

/** Renders cases with (possibly new) outputs back into script text. */
export function renderScript(cases: ScriptCase[], outputs: string[], trailer: string[]): string {
  const parts: string[] = [];
  cases.forEach((c, i) => {
    parts.push(...c.preamble, c.text, '----', outputs[i] === '' ? 'ok' : outputs[i]!);
  });
  parts.push(...trailer);
  let text = parts.join('\n');
  if (!text.endsWith('\n')) text += '\n';
  return text;
}
