export {
  COMPARE_OPS,
  attrPathText,
  isCompareOp,
  type AttrPath,
  type CompareNode,
  type CompareOp,
  type FilterNode,
  type LogicalNode,
  type NotNode,
  type PresentNode,
  type ScimLiteral,
  type ValuePathNode,
} from './scim-filter.ast';
export { compileScimFilter, compileSortBy, SqlParams } from './scim-filter.compiler';
export { ScimFilterError, type ScimFilterErrorType } from './scim-filter.error';
export { matchesScimFilter } from './scim-filter.evaluator';
export { MAX_FILTER_LENGTH } from './scim-filter.lexer';
export { MAX_FILTER_COMPARISONS, MAX_FILTER_DEPTH, parseScimFilter } from './scim-filter.parser';
export type {
  FilterSchema,
  MapAttribute,
  MultiValuedAttribute,
  ScalarAttribute,
  ScalarType,
  SchemaAttribute,
  SubAttribute,
} from './scim-filter.schema';
export { parseScimDateTime } from './scim-datetime.util';
export { parseScimPath, type ScimPath } from './scim-path.parser';
