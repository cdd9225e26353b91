/** The typed tree a SCIM filter parses to; compiler and evaluator both walk it. */

export type ScimLiteral =
  | { kind: 'string'; value: string }
  /** `raw` keeps the text as written, so a number compared with a string attribute matches it. */
  | { kind: 'number'; value: number; raw: string }
  | { kind: 'boolean'; value: boolean }
  | { kind: 'null' };

export type CompareOp = 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'gt' | 'ge' | 'lt' | 'le';

export const COMPARE_OPS: readonly CompareOp[] = [
  'eq',
  'ne',
  'co',
  'sw',
  'ew',
  'gt',
  'ge',
  'lt',
  'le',
];

export function isCompareOp(word: string): word is CompareOp {
  return (COMPARE_OPS as readonly string[]).includes(word);
}

export interface AttrPath {
  /** As written, without the schema URN; resolution is case-insensitive. */
  segments: string[];
  /** The schema URN the path was prefixed with, if any (without the trailing ':'). */
  schema?: string;
  /** 0-based index of the path in the text it was parsed from. */
  position: number;
}

export interface CompareNode {
  type: 'compare';
  attr: AttrPath;
  op: CompareOp;
  value: ScimLiteral;
}

export interface PresentNode {
  type: 'present';
  attr: AttrPath;
}

export interface LogicalNode {
  type: 'and' | 'or';
  left: FilterNode;
  right: FilterNode;
}

export interface NotNode {
  type: 'not';
  expr: FilterNode;
}

export interface ValuePathNode {
  type: 'valuePath';
  attr: AttrPath;
  filter: FilterNode;
}

export type FilterNode = CompareNode | PresentNode | LogicalNode | NotNode | ValuePathNode;

export function attrPathText(attr: AttrPath): string {
  return attr.segments.join('.');
}
