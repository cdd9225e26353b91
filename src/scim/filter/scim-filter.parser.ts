import { AttrPath, FilterNode, ValuePathNode, isCompareOp } from './scim-filter.ast';
import { quote } from './scim-filter.error';
import { ScimFilterLexer, Token } from './scim-filter.lexer';

export const MAX_FILTER_DEPTH = 20;
export const MAX_FILTER_COMPARISONS = 100;

const OPERATOR_LIST = 'eq, ne, co, sw, ew, gt, ge, lt, le, pr';
const ATTRNAME = /^[A-Za-z][A-Za-z0-9_$-]*$/;

type Closer = 'end' | ')' | ']';

/**
 * Recursive descent over RFC 7644 Figure 1, with `not` > `and` > `or`. Recursion only happens
 * on `(`, `not (` and `[`, all of which count against MAX_FILTER_DEPTH, so hostile input cannot
 * exhaust the stack; and/or chains are loops.
 */
export class ScimFilterParser {
  private depth = 0;
  private comparisons = 0;
  private inValueFilter = false;

  constructor(private readonly lexer: ScimFilterLexer) {}

  parseFilter(): FilterNode {
    const first = this.lexer.peek();
    if (first.kind === 'end') this.lexer.fail(`${this.lexer.noun} is empty`, 0);
    const node = this.parseOr();
    this.expectCloser('end', first);
    return node;
  }

  /** Parses `[valFilter]` after `attr`; the next token must be the `[`. */
  parseValuePath(attr: AttrPath): ValuePathNode {
    const open = this.lexer.next();
    if (this.inValueFilter) {
      this.lexer.fail(
        `a value filter cannot contain another value path: found "[" at position ${open.position}`,
        open.position,
      );
    }
    this.enter(open.position);
    this.inValueFilter = true;
    if (this.lexer.peek().kind === ']') {
      this.lexer.fail(
        `expected a filter inside "[" at position ${open.position}`,
        open.position + 1,
      );
    }
    const filter = this.parseOr();
    this.expectCloser(']', open);
    this.inValueFilter = false;
    this.depth--;
    return { type: 'valuePath', attr, filter };
  }

  /** Validates a word as `[URN ":"] ATTRNAME *("." ATTRNAME)`. */
  parseAttrPath(token: Token): AttrPath {
    const { text, position } = token;
    let schema: string | undefined;
    let path = text;
    let offset = 0;
    if (text.toLowerCase().startsWith('urn:')) {
      const colon = text.lastIndexOf(':');
      schema = text.slice(0, colon);
      path = text.slice(colon + 1);
      offset = colon + 1;
      if (path === '') {
        this.lexer.fail(
          `expected an attribute name after the schema URN at position ${position + offset}`,
          position + offset,
        );
      }
    }
    const segments = path.split('.');
    for (const segment of segments) {
      if (!ATTRNAME.test(segment)) {
        this.lexer.fail(
          `invalid attribute name ${quote(segment)} at position ${position + offset}` +
            ' (a letter, then letters, digits, "-", "_" or "$")',
          position + offset,
        );
      }
      offset += segment.length + 1;
    }
    return schema === undefined ? { segments, position } : { segments, schema, position };
  }

  private parseOr(): FilterNode {
    let left = this.parseAnd();
    while (this.isKeyword(this.lexer.peek(), 'or')) {
      this.lexer.next();
      left = { type: 'or', left, right: this.parseAnd() };
    }
    return left;
  }

  private parseAnd(): FilterNode {
    let left = this.parseUnary();
    while (this.isKeyword(this.lexer.peek(), 'and')) {
      this.lexer.next();
      left = { type: 'and', left, right: this.parseUnary() };
    }
    return left;
  }

  private parseUnary(): FilterNode {
    const token = this.lexer.next();
    if (token.kind === '(') {
      this.enter(token.position);
      const expr = this.parseOr();
      this.expectCloser(')', token);
      this.depth--;
      return expr;
    }
    if (token.kind !== 'word') {
      this.lexer.fail(
        `expected an attribute name, "not" or "(" at position ${token.position}, found ${this.lexer.describe(token)}`,
        token.position,
      );
    }
    if (this.isKeyword(token, 'not') && !this.startsAttrExpression(this.lexer.peek())) {
      const open = this.lexer.next();
      if (open.kind !== '(') {
        this.lexer.fail(
          `expected "(" after "not" at position ${open.position}, found ${this.lexer.describe(open)}`,
          open.position,
        );
      }
      this.enter(token.position);
      const expr = this.parseOr();
      this.expectCloser(')', open);
      this.depth--;
      return { type: 'not', expr };
    }
    return this.parseAttrExpression(token);
  }

  /** After an attribute path: `pr`, `op value`, or `[valFilter]`. */
  private parseAttrExpression(pathToken: Token): FilterNode {
    const attr = this.parseAttrPath(pathToken);
    const next = this.lexer.peek();
    if (next.kind === '[') {
      const node = this.parseValuePath(attr);
      const after = this.lexer.peek();
      if (after.kind === 'word' && after.text.startsWith('.')) {
        this.lexer.fail(
          `a sub-attribute after a value path (${quote(after.text)} at position ${after.position}) is only allowed in a PATCH path`,
          after.position,
        );
      }
      return node;
    }
    const op = next.kind === 'word' ? next.text.toLowerCase() : '';
    if (op !== 'pr' && !isCompareOp(op)) {
      this.lexer.fail(
        `expected a comparison operator (${OPERATOR_LIST}) after ${quote(pathToken.text)} at position ${next.position}, found ${this.lexer.describe(next)}`,
        next.position,
      );
    }
    this.lexer.next();
    this.countComparison(pathToken.position);
    if (op === 'pr') return { type: 'present', attr };
    const value = this.lexer.readValue();
    if (!value) {
      const at = this.lexer.peek().position;
      this.lexer.fail(
        `expected a value (a "string", number, true, false or null) after "${op}" at position ${at}, found ${this.lexer.describe(this.lexer.peek())}`,
        at,
      );
    }
    return { type: 'compare', attr, op, value: value.literal };
  }

  /** `not` is an attribute name when an operator or `[` follows it, like any other word. */
  private startsAttrExpression(token: Token): boolean {
    if (token.kind === '[') return true;
    if (token.kind !== 'word') return false;
    const word = token.text.toLowerCase();
    return word === 'pr' || isCompareOp(word);
  }

  private expectCloser(closer: Closer, opener: Token): void {
    const token = this.lexer.next();
    if (token.kind === closer) return;
    const found = this.lexer.describe(token);
    const at = token.position;
    if (closer === 'end') {
      if (token.kind === ')' || token.kind === ']') {
        this.lexer.fail(`unbalanced "${token.kind}" at position ${at}`, at);
      }
      this.lexer.fail(
        `expected "and", "or" or the end of the ${this.lexer.noun} at position ${at}, found ${found}`,
        at,
      );
    }
    if (token.kind === 'end') {
      this.lexer.fail(
        `expected "${closer}" to close the "${opener.kind}" at position ${opener.position}, found ${found} at position ${at}`,
        at,
      );
    }
    this.lexer.fail(`expected "and", "or" or "${closer}" at position ${at}, found ${found}`, at);
  }

  private enter(position: number): void {
    this.depth++;
    if (this.depth > MAX_FILTER_DEPTH) {
      this.lexer.fail(
        `filter nesting deeper than ${MAX_FILTER_DEPTH} levels at position ${position}`,
        position,
      );
    }
  }

  private countComparison(position: number): void {
    this.comparisons++;
    if (this.comparisons > MAX_FILTER_COMPARISONS) {
      this.lexer.fail(
        `more than ${MAX_FILTER_COMPARISONS} comparisons (the next one is at position ${position})`,
        position,
      );
    }
  }

  private isKeyword(token: Token, keyword: string): boolean {
    return token.kind === 'word' && token.text.toLowerCase() === keyword;
  }
}

/** Parses a SCIM filter (RFC 7644 §3.4.2.2 plus deep paths and bare values). */
export function parseScimFilter(text: string): FilterNode {
  return new ScimFilterParser(new ScimFilterLexer(text)).parseFilter();
}
