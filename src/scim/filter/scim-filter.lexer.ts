import { ScimLiteral } from './scim-filter.ast';
import { ScimFilterError, ScimFilterErrorType, quote } from './scim-filter.error';

export const MAX_FILTER_LENGTH = 4096;

export type TokenKind = 'word' | 'string' | '(' | ')' | '[' | ']' | 'end';

export interface Token {
  kind: TokenKind;
  /** The word as written, or the decoded value of a string. */
  text: string;
  position: number;
}

const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

const isSpace = (ch: string): boolean => /\s/.test(ch);
const isDelimiter = (ch: string): boolean => '()[]"'.includes(ch) || isSpace(ch);

/**
 * Tokenises on demand: the parser decides when a value is expected (`readValue`), because a
 * bare value like `f058ebd6-02f7-…` or `a(b` would not survive ordinary word rules.
 */
export class ScimFilterLexer {
  private pos = 0;
  private lookahead: Token | undefined;

  constructor(
    readonly text: string,
    readonly scimType: ScimFilterErrorType = 'invalidFilter',
  ) {
    if (text.length > MAX_FILTER_LENGTH) {
      this.fail(`${this.noun} is longer than ${MAX_FILTER_LENGTH} characters`, undefined);
    }
    // PostgreSQL text cannot hold U+0000; refusing it here keeps it from becoming a 500.
    const nul = text.indexOf('\u0000');
    if (nul >= 0) this.fail(`unexpected NUL character at position ${nul}`, nul);
  }

  /** What the text is, for messages. */
  get noun(): string {
    switch (this.scimType) {
      case 'invalidFilter':
        return 'filter';
      case 'invalidPath':
        return 'path';
      case 'invalidValue':
        return 'attribute';
    }
  }

  fail(message: string, position: number | undefined): never {
    throw new ScimFilterError(message, position, this.scimType);
  }

  describe(token: Token): string {
    switch (token.kind) {
      case 'end':
        return `the end of the ${this.noun}`;
      case 'string':
        return `the string ${quote(token.text)}`;
      case 'word':
        return quote(token.text);
      case '(':
      case ')':
      case '[':
      case ']':
        return `"${token.kind}"`;
    }
  }

  peek(): Token {
    this.lookahead ??= this.scan();
    return this.lookahead;
  }

  next(): Token {
    const token = this.peek();
    this.lookahead = undefined;
    return token;
  }

  /**
   * Reads the value after a comparison operator: a JSON string, or a bare value running to the
   * next whitespace, `)` or `]`. Returns undefined when no value is there.
   */
  readValue(): { literal: ScimLiteral; position: number } | undefined {
    if (this.lookahead) {
      this.pos = this.lookahead.position;
      this.lookahead = undefined;
    }
    this.skipSpace();
    const start = this.pos;
    const ch = this.text[start];
    if (ch === undefined || ch === ')' || ch === ']') return undefined;
    if (ch === '"')
      return { literal: { kind: 'string', value: this.readString() }, position: start };
    while (
      this.pos < this.text.length &&
      !isSpace(this.text[this.pos]) &&
      !')]'.includes(this.text[this.pos])
    ) {
      this.pos++;
    }
    return { literal: this.classifyBare(this.text.slice(start, this.pos), start), position: start };
  }

  private scan(): Token {
    this.skipSpace();
    const start = this.pos;
    const ch = this.text[start];
    if (ch === undefined) return { kind: 'end', text: '', position: start };
    if (ch === '(' || ch === ')' || ch === '[' || ch === ']') {
      this.pos++;
      return { kind: ch, text: ch, position: start };
    }
    if (ch === '"') return { kind: 'string', text: this.readString(), position: start };
    while (this.pos < this.text.length && !isDelimiter(this.text[this.pos])) this.pos++;
    return { kind: 'word', text: this.text.slice(start, this.pos), position: start };
  }

  private skipSpace(): void {
    while (this.pos < this.text.length && isSpace(this.text[this.pos])) this.pos++;
  }

  /** A JSON string starting at the current `"`; returns the decoded value. */
  private readString(): string {
    const start = this.pos;
    this.pos++;
    let value = '';
    for (;;) {
      const ch = this.text[this.pos];
      if (ch === undefined) this.fail(`unterminated string starting at position ${start}`, start);
      if (ch === '"') {
        this.pos++;
        return value;
      }
      if (ch !== '\\') {
        value += ch;
        this.pos++;
        continue;
      }
      const escape = this.text[this.pos + 1];
      if (escape === undefined)
        this.fail(`unterminated string starting at position ${start}`, start);
      if (escape === 'u') {
        const hex = this.text.slice(this.pos + 2, this.pos + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
          this.fail(`invalid \\u escape at position ${this.pos}: expected 4 hex digits`, this.pos);
        }
        const code = parseInt(hex, 16);
        if (code === 0)
          this.fail(`a string cannot contain \\u0000 (position ${this.pos})`, this.pos);
        value += String.fromCharCode(code);
        this.pos += 6;
        continue;
      }
      const decoded = SIMPLE_ESCAPES[escape];
      if (decoded === undefined) {
        this.fail(`invalid escape ${quote(`\\${escape}`)} at position ${this.pos}`, this.pos);
      }
      value += decoded;
      this.pos += 2;
    }
  }

  /** Bare `true`/`false`/`null` and JSON numbers keep their meaning; anything else is a string. */
  private classifyBare(raw: string, position: number): ScimLiteral {
    switch (raw.toLowerCase()) {
      case 'true':
        return { kind: 'boolean', value: true };
      case 'false':
        return { kind: 'boolean', value: false };
      case 'null':
        return { kind: 'null' };
    }
    if (!JSON_NUMBER.test(raw)) return { kind: 'string', value: raw };
    const value = Number(raw);
    if (!Number.isFinite(value))
      this.fail(`number ${quote(raw)} at position ${position} is out of range`, position);
    return { kind: 'number', value, raw };
  }
}
