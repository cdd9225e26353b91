/**
 * How filter attributes map to SQL. Service modules declare one per resource; identifiers in
 * the generated SQL come only from here, never from the filter text.
 */

export type ScalarType = 'string' | 'number' | 'boolean' | 'dateTime';

export interface ScalarAttribute {
  kind: 'scalar';
  type: ScalarType;
  caseExact: boolean;
  /** A column expression, e.g. `r.correlation_id`. */
  sql: string;
}

export interface SubAttribute {
  /** The JSON key as stored, e.g. `value`. */
  name: string;
  type: ScalarType;
  caseExact: boolean;
}

export interface MultiValuedAttribute {
  kind: 'multi';
  /** SQL of a jsonb array (or SQL NULL), e.g. `u.resource->'emails'`. */
  jsonb: string;
  /** Keyed by lower-case sub-attribute name. */
  sub: Record<string, SubAttribute>;
}

/** A flat jsonb object of string values; `<path>.<KEY>` addresses one key, as written. */
export interface MapAttribute {
  kind: 'map';
  jsonb: string;
  caseExact: boolean;
}

export type SchemaAttribute = ScalarAttribute | MultiValuedAttribute | MapAttribute;

export interface FilterSchema {
  /**
   * The resource's schema URN: a URN-qualified attribute must name it, and `schemas`
   * compares with it. Without it any URN prefix is accepted and `schemas` is unknown.
   */
  schema?: string;
  /**
   * Keyed by lower-case dotted path, e.g. `action.actionname`. A complex single-valued
   * attribute (`action`) is just the set of entries sharing its prefix.
   */
  attributes: Record<string, SchemaAttribute>;
}
