import { FilterNode } from './scim-filter.ast';
import { quote } from './scim-filter.error';
import { ScimFilterLexer } from './scim-filter.lexer';
import { ScimFilterParser } from './scim-filter.parser';

export interface ScimPath {
  /** Segments as written, without the schema URN (`name.givenName` → ['name', 'givenName']). */
  attr: string[];
  /** The schema URN the path was prefixed with, if any. */
  schema?: string;
  /** The value filter of `attr[filter]`; its attribute names are relative to one element. */
  filter?: FilterNode;
  /** The sub-attribute after a value path: `emails[type eq "work"].value` → 'value'. */
  subAttr?: string;
}

const SUB_ATTR = /^\.([A-Za-z][A-Za-z0-9_$-]*)$/;

/** Parses a PATCH operation path (RFC 7644 §3.5.2): `attrPath / valuePath [subAttr]`. */
export function parseScimPath(text: string): ScimPath {
  const lexer: ScimFilterLexer = new ScimFilterLexer(text, 'invalidPath');
  const parser = new ScimFilterParser(lexer);
  const first = lexer.next();
  if (first.kind === 'end') lexer.fail('path is empty', 0);
  if (first.kind !== 'word') {
    lexer.fail(
      `expected an attribute name at position ${first.position}, found ${lexer.describe(first)}`,
      first.position,
    );
  }
  const attrPath = parser.parseAttrPath(first);
  const path: ScimPath = { attr: attrPath.segments };
  if (attrPath.schema !== undefined) path.schema = attrPath.schema;
  if (lexer.peek().kind === '[') {
    path.filter = parser.parseValuePath(attrPath).filter;
    const after = lexer.peek();
    // Only directly after the "]": `emails[…] .value` is not a sub-attribute.
    if (after.kind === 'word' && lexer.text[after.position - 1] === ']') {
      const match = SUB_ATTR.exec(after.text);
      if (!match) {
        lexer.fail(
          `expected "." and one sub-attribute name after "]" at position ${after.position}, found ${quote(after.text)}`,
          after.position,
        );
      }
      path.subAttr = match[1];
      lexer.next();
    }
  }
  const end = lexer.next();
  if (end.kind !== 'end') {
    lexer.fail(
      `expected the end of the path at position ${end.position}, found ${lexer.describe(end)}`,
      end.position,
    );
  }
  return path;
}
