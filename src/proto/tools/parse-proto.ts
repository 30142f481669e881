/**
 * A small parser for the proto3 subset tetcd's .proto files use: syntax, package, import, option
 * (skipped), message (nested), enum, oneof, repeated, reserved (skipped), field options (skipped) and
 * service/rpc with stream. A trailing `// @bigint` comment on a 64-bit field's line marks it bigint.
 * Used only by scripts/gen-proto.ts.
 */

export interface FieldDef {
  name: string;
  number: number;
  /** Scalar type name or the type reference as written (resolved by the emitter). */
  type: string;
  repeated: boolean;
  /** Name of the enclosing oneof, if any. */
  oneof: string | undefined;
  /** Marked `// @bigint`: a 64-bit field represented as bigint. */
  bigint: boolean;
}

export interface EnumDef {
  name: string;
  values: { name: string; number: number }[];
}

export interface MessageDef {
  name: string;
  fields: FieldDef[];
  messages: MessageDef[];
  enums: EnumDef[];
}

export interface MethodDef {
  name: string;
  input: string;
  output: string;
  clientStreaming: boolean;
  serverStreaming: boolean;
}

export interface ServiceDef {
  name: string;
  methods: MethodDef[];
}

export interface ProtoFile {
  path: string;
  packageName: string;
  imports: string[];
  messages: MessageDef[];
  enums: EnumDef[];
  services: ServiceDef[];
}

interface Token {
  text: string;
  line: number;
  kind: 'ident' | 'number' | 'string' | 'symbol';
}

/** Thrown on syntax the parser does not accept; names the file and line. */
export class ProtoSyntaxError extends Error {
  override readonly name = 'ProtoSyntaxError';
}

function tokenize(source: string, path: string): { tokens: Token[]; comments: Map<number, string> } {
  const tokens: Token[] = [];
  const comments = new Map<number, string>();
  let line = 1;
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    if (c === '\n') { line++; i++; continue; }
    if (/\s/.test(c)) { i++; continue; }
    if (source.startsWith('//', i)) {
      const end = source.indexOf('\n', i);
      const stop = end === -1 ? source.length : end;
      comments.set(line, (comments.get(line) ?? '') + source.slice(i + 2, stop));
      i = stop;
      continue;
    }
    if (source.startsWith('/*', i)) {
      const end = source.indexOf('*/', i + 2);
      if (end === -1) throw new ProtoSyntaxError(`${path}:${line}: unterminated comment`);
      for (let j = i; j < end; j++) if (source[j] === '\n') line++;
      i = end + 2;
      continue;
    }
    const ident = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(source.slice(i, i + 256));
    if (ident) { tokens.push({ text: ident[0], line, kind: 'ident' }); i += ident[0].length; continue; }
    const num = /^-?(0x[0-9a-fA-F]+|[0-9]+)/.exec(source.slice(i, i + 64));
    if (num) { tokens.push({ text: num[0], line, kind: 'number' }); i += num[0].length; continue; }
    if (c === '"' || c === "'") {
      const end = source.indexOf(c, i + 1);
      if (end === -1) throw new ProtoSyntaxError(`${path}:${line}: unterminated string`);
      tokens.push({ text: source.slice(i + 1, end), line, kind: 'string' });
      i = end + 1;
      continue;
    }
    tokens.push({ text: c, line, kind: 'symbol' });
    i++;
  }
  return { tokens, comments };
}

class Parser {
  private index = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly comments: Map<number, string>,
    private readonly path: string,
  ) {}

  private fail(message: string): never {
    const token = this.tokens[this.index];
    throw new ProtoSyntaxError(`${this.path}:${token?.line ?? 'EOF'}: ${message}`);
  }

  private peek(): string | undefined {
    return this.tokens[this.index]?.text;
  }

  private next(): Token {
    const token = this.tokens[this.index++];
    if (token === undefined) this.fail('unexpected end of file');
    return token;
  }

  private expect(text: string): Token {
    const token = this.next();
    if (token.text !== text) { this.index--; this.fail(`expected '${text}', got '${token.text}'`); }
    return token;
  }

  private ident(): string {
    const token = this.next();
    if (token.kind !== 'ident') { this.index--; this.fail(`expected identifier, got '${token.text}'`); }
    return token.text;
  }

  private integer(): number {
    const token = this.next();
    if (token.kind !== 'number') { this.index--; this.fail(`expected number, got '${token.text}'`); }
    return Number(token.text);
  }

  /** Skips a balanced construct until `;` at depth 0 or a closing brace block. */
  private skipStatement(): void {
    let depth = 0;
    for (;;) {
      const text = this.next().text;
      if (text === '{' || text === '[' || text === '(') depth++;
      else if (text === '}' || text === ']' || text === ')') {
        depth--;
        if (depth === 0 && text === '}') return;
      } else if (text === ';' && depth === 0) return;
    }
  }

  parseFile(): ProtoFile {
    const file: ProtoFile = { path: this.path, packageName: '', imports: [], messages: [], enums: [], services: [] };
    while (this.index < this.tokens.length) {
      const word = this.ident();
      if (word === 'syntax') {
        this.expect('=');
        const value = this.next().text;
        if (value !== 'proto3') this.fail(`only proto3 is supported, got ${value}`);
        this.expect(';');
      } else if (word === 'package') {
        file.packageName = this.ident();
        this.expect(';');
      } else if (word === 'import') {
        if (this.peek() === 'public' || this.peek() === 'weak') this.next();
        file.imports.push(this.next().text);
        this.expect(';');
      } else if (word === 'option') this.skipStatement();
      else if (word === 'message') file.messages.push(this.parseMessage());
      else if (word === 'enum') file.enums.push(this.parseEnum());
      else if (word === 'service') file.services.push(this.parseService());
      else this.fail(`unexpected '${word}'`);
    }
    if (file.packageName === '') this.fail('missing package');
    return file;
  }

  private parseMessage(): MessageDef {
    const message: MessageDef = { name: this.ident(), fields: [], messages: [], enums: [] };
    this.expect('{');
    while (this.peek() !== '}') {
      const word = this.peek();
      if (word === ';') { this.next(); continue; }
      if (word === 'message') { this.next(); message.messages.push(this.parseMessage()); }
      else if (word === 'enum') { this.next(); message.enums.push(this.parseEnum()); }
      else if (word === 'option' || word === 'reserved' || word === 'extensions') this.skipStatement();
      else if (word === 'oneof') {
        this.next();
        const oneof = this.ident();
        this.expect('{');
        while (this.peek() !== '}') {
          if (this.peek() === 'option') { this.skipStatement(); continue; }
          message.fields.push(this.parseField(oneof));
        }
        this.expect('}');
      } else if (word === 'map' || word === 'optional' || word === 'required' || word === 'group') {
        this.fail(`'${word}' is not supported by this generator`);
      } else message.fields.push(this.parseField(undefined));
    }
    this.expect('}');
    return message;
  }

  private parseField(oneof: string | undefined): FieldDef {
    let repeated = false;
    if (this.peek() === 'repeated') {
      if (oneof !== undefined) this.fail('repeated field inside oneof');
      this.next();
      repeated = true;
    }
    const type = this.ident();
    const name = this.ident();
    this.expect('=');
    const number = this.integer();
    if (this.peek() === '[') {
      let depth = 0;
      do {
        const text = this.next().text;
        if (text === '[') depth++;
        if (text === ']') depth--;
      } while (depth > 0);
    }
    const end = this.expect(';');
    const bigint = (this.comments.get(end.line) ?? '').includes('@bigint');
    return { name, number, type, repeated, oneof, bigint };
  }

  private parseEnum(): EnumDef {
    const definition: EnumDef = { name: this.ident(), values: [] };
    this.expect('{');
    while (this.peek() !== '}') {
      if (this.peek() === 'option' || this.peek() === 'reserved') { this.skipStatement(); continue; }
      if (this.peek() === ';') { this.next(); continue; }
      const name = this.ident();
      this.expect('=');
      const number = this.integer();
      if (this.peek() === '[') this.skipStatement();
      else this.expect(';');
      definition.values.push({ name, number });
    }
    this.expect('}');
    return definition;
  }

  private parseService(): ServiceDef {
    const service: ServiceDef = { name: this.ident(), methods: [] };
    this.expect('{');
    while (this.peek() !== '}') {
      if (this.peek() === 'option') { this.skipStatement(); continue; }
      if (this.peek() === ';') { this.next(); continue; }
      const word = this.ident();
      if (word !== 'rpc') this.fail(`expected rpc, got '${word}'`);
      const name = this.ident();
      this.expect('(');
      const clientStreaming = this.peek() === 'stream' && this.next() !== undefined;
      const input = this.ident();
      this.expect(')');
      const returns = this.ident();
      if (returns !== 'returns') this.fail(`expected returns, got '${returns}'`);
      this.expect('(');
      const serverStreaming = this.peek() === 'stream' && this.next() !== undefined;
      const output = this.ident();
      this.expect(')');
      if (this.peek() === '{') this.skipStatement();
      else this.expect(';');
      service.methods.push({ name, input, output, clientStreaming, serverStreaming });
    }
    this.expect('}');
    return service;
  }
}

/** Parses one .proto source. Throws ProtoSyntaxError with `path:line` on unsupported or bad syntax. */
export function parseProto(source: string, path: string): ProtoFile {
  const { tokens, comments } = tokenize(source, path);
  return new Parser(tokens, comments, path).parseFile();
}
