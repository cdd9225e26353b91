import { parseScimDateTime } from './scim-datetime.util';
import {
  AttrPath,
  CompareOp,
  FilterNode,
  ScimLiteral,
  ValuePathNode,
  attrPathText,
} from './scim-filter.ast';
import { ScimFilterError, ScimFilterErrorType, quote } from './scim-filter.error';
import { ScimFilterLexer } from './scim-filter.lexer';
import { ScimFilterParser } from './scim-filter.parser';
import {
  FilterSchema,
  MapAttribute,
  MultiValuedAttribute,
  ScalarType,
  SchemaAttribute,
  SubAttribute,
} from './scim-filter.schema';

/** Collects bind values; placeholders continue from `startAt` so callers can prepend their own. */
export class SqlParams {
  readonly values: unknown[] = [];

  constructor(private readonly startAt = 1) {}

  bind(value: unknown): string {
    this.values.push(value);
    return `$${this.startAt + this.values.length - 1}`;
  }
}

/** Compiles a parsed filter to a boolean SQL expression; every filter value becomes a `$n`. */
export function compileScimFilter(
  node: FilterNode,
  schema: FilterSchema,
  params: SqlParams,
): string {
  return new FilterCompiler(schema, params, 'invalidFilter').compile(node, ROOT);
}

/**
 * An ORDER BY expression for `sortBy` (scalar or map-key attributes only). Strings sort with
 * COLLATE "C" (lower-cased unless caseExact), the same order `gt`/`lt` filters use, so a
 * cursor built from the sort value and a comparison filter agree.
 */
export function compileSortBy(
  attrText: string,
  schema: FilterSchema,
  params: SqlParams,
): { sql: string; type: ScalarType } {
  const lexer = new ScimFilterLexer(attrText, 'invalidValue');
  const token = lexer.next();
  if (token.kind !== 'word') {
    lexer.fail(
      `expected an attribute name at position ${token.position}, found ${lexer.describe(token)}`,
      token.position,
    );
  }
  const attr = new ScimFilterParser(lexer).parseAttrPath(token);
  const end = lexer.next();
  if (end.kind !== 'end') {
    lexer.fail(
      `expected the end of the attribute at position ${end.position}, found ${lexer.describe(end)}`,
      end.position,
    );
  }
  return new FilterCompiler(schema, params, 'invalidValue').sortKey(attr);
}

interface Column {
  sql: string;
  type: ScalarType;
  caseExact: boolean;
  name: string;
  position: number;
}

type Target =
  | { kind: 'column'; column: Column }
  | { kind: 'mapKey'; map: MapAttribute; key: string; name: string; position: number }
  | { kind: 'map'; map: MapAttribute; name: string; position: number }
  | {
      kind: 'multi';
      attr: MultiValuedAttribute;
      sub?: SubAttribute;
      name: string;
      position: number;
    };

type Scope =
  | { kind: 'root'; prefix: readonly string[] }
  | { kind: 'element'; owner: string; attr: MultiValuedAttribute; alias: string };

const ROOT: Scope = { kind: 'root', prefix: [] };

type OrderOp = Exclude<CompareOp, 'co' | 'sw' | 'ew'>;
const ORDER_SQL: Record<OrderOp, string> = {
  eq: '=',
  // A record without the attribute matches `ne`, as an absent value is not equal.
  ne: 'IS DISTINCT FROM',
  gt: '>',
  ge: '>=',
  lt: '<',
  le: '<=',
};

const CASTS: Record<ScalarType, string> = {
  string: '',
  number: '::numeric',
  boolean: '::boolean',
  dateTime: '::timestamptz',
};

const normalised = new WeakMap<FilterSchema, Map<string, SchemaAttribute>>();

/** Lower-cases schema keys once, so a schema written as `correlationId` still resolves. */
function attributesOf(schema: FilterSchema): Map<string, SchemaAttribute> {
  let map = normalised.get(schema);
  if (!map) {
    map = new Map(Object.entries(schema.attributes).map(([k, v]) => [k.toLowerCase(), v]));
    normalised.set(schema, map);
  }
  return map;
}

function subAttribute(attr: MultiValuedAttribute, name: string): SubAttribute | undefined {
  const lower = name.toLowerCase();
  return Object.entries(attr.sub).find(([k]) => k.toLowerCase() === lower)?.[1];
}

/** Quotes a schema-defined JSON key as a SQL literal; schema text, but quoted properly anyway. */
const sqlLiteral = (text: string): string => `'${text.replace(/'/g, "''")}'`;

class FilterCompiler {
  private aliases = 0;
  private readonly attributes: Map<string, SchemaAttribute>;

  constructor(
    schema: FilterSchema,
    private readonly params: SqlParams,
    private readonly scimType: ScimFilterErrorType,
  ) {
    this.attributes = attributesOf(schema);
  }

  compile(node: FilterNode, scope: Scope): string {
    switch (node.type) {
      case 'and':
        return `(${this.compile(node.left, scope)} AND ${this.compile(node.right, scope)})`;
      case 'or':
        return `(${this.compile(node.left, scope)} OR ${this.compile(node.right, scope)})`;
      case 'not':
        // A comparison on a missing value is SQL NULL, and NOT NULL is NULL: without COALESCE
        // `not (title eq "x")` would drop every record that has no title.
        return `NOT COALESCE((${this.compile(node.expr, scope)}), false)`;
      case 'present':
        return this.present(this.resolve(node.attr, scope));
      case 'compare':
        return this.compare(this.resolve(node.attr, scope), node.op, node.value);
      case 'valuePath':
        return this.valuePath(node, scope);
    }
  }

  sortKey(attr: AttrPath): { sql: string; type: ScalarType } {
    const target = this.resolve(attr, ROOT);
    switch (target.kind) {
      case 'column':
      case 'mapKey': {
        const column = target.kind === 'column' ? target.column : this.mapKeyColumn(target);
        if (column.type !== 'string') return { sql: column.sql, type: column.type };
        const sql = column.caseExact ? column.sql : `lower(${column.sql})`;
        return { sql: `${sql} COLLATE "C"`, type: 'string' };
      }
      case 'map':
      case 'multi':
        return this.fail(
          `cannot sort by ${target.kind === 'map' ? 'map' : 'multi-valued'} attribute ${quote(target.name)}`,
          target.position,
        );
    }
  }

  private fail(message: string, position: number | undefined): never {
    throw new ScimFilterError(message, position, this.scimType);
  }

  private unknown(name: string, position: number): never {
    return this.fail(`unknown attribute ${quote(name)} at position ${position}`, position);
  }

  private resolve(attr: AttrPath, scope: Scope): Target {
    const { position } = attr;
    if (scope.kind === 'element') {
      const name = `${scope.owner}.${attrPathText(attr)}`;
      const sub =
        attr.segments.length === 1 ? subAttribute(scope.attr, attr.segments[0]) : undefined;
      if (!sub) return this.unknown(name, position);
      return {
        kind: 'column',
        column: { ...this.elementColumn(scope.alias, sub), name, position },
      };
    }
    const segments = [...scope.prefix, ...attr.segments];
    const name = segments.join('.');
    const lower = segments.map((s) => s.toLowerCase());
    const exact = this.attributes.get(lower.join('.'));
    if (exact) {
      switch (exact.kind) {
        case 'scalar':
          return { kind: 'column', column: { ...exact, name, position } };
        case 'map':
          return { kind: 'map', map: exact, name, position };
        case 'multi':
          return { kind: 'multi', attr: exact, name, position };
      }
    }
    const parent =
      segments.length > 1 ? this.attributes.get(lower.slice(0, -1).join('.')) : undefined;
    const last = segments[segments.length - 1];
    if (parent?.kind === 'map') return { kind: 'mapKey', map: parent, key: last, name, position };
    if (parent?.kind === 'multi') {
      const sub = subAttribute(parent, last);
      if (sub) return { kind: 'multi', attr: parent, sub, name, position };
    }
    return this.unknown(name, position);
  }

  private valuePath(node: ValuePathNode, scope: Scope): string {
    const { position } = node.attr;
    if (scope.kind === 'element') {
      return this.fail(
        `a value filter cannot contain another value path (position ${position})`,
        position,
      );
    }
    const segments = [...scope.prefix, ...node.attr.segments];
    const name = segments.join('.');
    const key = name.toLowerCase();
    const exact = this.attributes.get(key);
    if (exact?.kind === 'multi') {
      const alias = this.nextAlias();
      return this.exists(
        exact,
        alias,
        this.compile(node.filter, { kind: 'element', owner: name, attr: exact, alias }),
      );
    }
    if (exact?.kind === 'scalar') {
      return this.fail(
        `attribute ${quote(name)} at position ${position} is neither complex nor multi-valued, so it cannot take a value filter "[…]"`,
        position,
      );
    }
    const isComplex =
      exact?.kind === 'map' || [...this.attributes.keys()].some((k) => k.startsWith(`${key}.`));
    if (!isComplex) return this.unknown(name, position);
    // A complex single-valued attribute: `action[actionName eq "x"]` is `action.actionName eq "x"`.
    return this.compile(node.filter, { kind: 'root', prefix: segments });
  }

  private present(target: Target): string {
    switch (target.kind) {
      case 'column':
        return this.presentColumn(target.column);
      case 'mapKey':
        return this.presentColumn(this.mapKeyColumn(target));
      case 'map':
        return `(jsonb_typeof(${target.map.jsonb}) = 'object' AND ${target.map.jsonb} <> '{}'::jsonb)`;
      case 'multi': {
        const { attr, sub } = target;
        if (!sub) return `(jsonb_typeof(${attr.jsonb}) = 'array' AND ${attr.jsonb} <> '[]'::jsonb)`;
        const alias = this.nextAlias();
        return this.exists(attr, alias, this.presentColumn(this.elementColumn(alias, sub)));
      }
    }
  }

  private compare(target: Target, op: CompareOp, value: ScimLiteral): string {
    switch (target.kind) {
      case 'column':
        return this.compareColumn(target.column, op, value);
      case 'mapKey':
        return this.compareMapKey(target, op, value);
      case 'map':
        if (value.kind === 'null' && (op === 'eq' || op === 'ne'))
          return this.nullAsPresence(target, op);
        return this.fail(
          `attribute ${quote(target.name)} at position ${target.position} is a map; compare one of its keys, e.g. ${quote(`${target.name}.KEY`)}`,
          target.position,
        );
      case 'multi':
        return this.compareMulti(target, op, value);
    }
  }

  private compareMapKey(
    target: Extract<Target, { kind: 'mapKey' }>,
    op: CompareOp,
    value: ScimLiteral,
  ): string {
    if (op === 'eq' && target.map.caseExact && value.kind !== 'null') {
      // Containment rather than `->> key = value`, so a GIN index on the jsonb column serves it.
      const key = this.params.bind(target.key);
      const text = this.stringValue(this.mapKeyColumn(target, key), value);
      return `${target.map.jsonb} @> jsonb_build_object(${key}::text, ${this.params.bind(text)}::text)`;
    }
    return this.compareColumn(this.mapKeyColumn(target), op, value);
  }

  /** Any element matches (RFC 7644 §3.4.2.2); no sub-attribute means the `value` one. */
  private compareMulti(
    target: Extract<Target, { kind: 'multi' }>,
    op: CompareOp,
    value: ScimLiteral,
  ): string {
    if (value.kind === 'null' && (op === 'eq' || op === 'ne'))
      return this.nullAsPresence(target, op);
    const sub = target.sub ?? subAttribute(target.attr, 'value');
    if (!sub) {
      return this.fail(
        `multi-valued attribute ${quote(target.name)} at position ${target.position} has no "value" sub-attribute; use a value filter such as ${target.name}[type eq "work"]`,
        target.position,
      );
    }
    const alias = this.nextAlias();
    const column = {
      ...this.elementColumn(alias, sub),
      name: target.name,
      position: target.position,
    };
    return this.exists(target.attr, alias, this.compareColumn(column, op, value));
  }

  /**
   * `eq null` on a map or multi-valued attribute means "has no value": the map is empty, the
   * array is empty, or no element has the sub-attribute. `ne null` is the opposite.
   */
  private nullAsPresence(target: Target, op: 'eq' | 'ne'): string {
    const present = this.present(target);
    return op === 'ne' ? present : `NOT COALESCE((${present}), false)`;
  }

  private compareColumn(column: Column, op: CompareOp, value: ScimLiteral): string {
    this.checkOperator(column, op);
    if (value.kind === 'null') {
      if (op === 'eq') return `${column.sql} IS NULL`;
      if (op === 'ne') return `${column.sql} IS NOT NULL`;
      return this.fail(
        `operator "${op}" cannot be used with null (attribute ${quote(column.name)} at position ${column.position}); only eq and ne can`,
        column.position,
      );
    }
    switch (column.type) {
      case 'string':
        return this.compareString(column, op, this.stringValue(column, value));
      case 'number':
        return this.ordered(
          column.sql,
          op,
          `${this.params.bind(this.numberValue(column, value))}::numeric`,
        );
      case 'boolean':
        return this.ordered(
          column.sql,
          op,
          `${this.params.bind(this.booleanValue(column, value))}::boolean`,
        );
      case 'dateTime':
        // Bound as text and cast, so PostgreSQL compares instants, not strings.
        return this.ordered(
          column.sql,
          op,
          `${this.params.bind(this.dateTimeValue(column, value))}::timestamptz`,
        );
    }
  }

  private compareString(column: Column, op: CompareOp, value: string): string {
    switch (op) {
      case 'co':
      case 'sw':
      case 'ew': {
        // Escaped here so %, _ and \ in the value match themselves, not as wildcards.
        const escaped = value.replace(/[\\%_]/g, '\\$&');
        const pattern = op === 'co' ? `%${escaped}%` : op === 'sw' ? `${escaped}%` : `%${escaped}`;
        const like = column.caseExact ? 'LIKE' : 'ILIKE';
        return `${column.sql} ${like} ${this.params.bind(pattern)} ESCAPE '\\'`;
      }
      case 'eq':
      case 'ne':
      case 'gt':
      case 'ge':
      case 'lt':
      case 'le': {
        const param = this.params.bind(value);
        const lhs = column.caseExact ? column.sql : `lower(${column.sql})`;
        const rhs = column.caseExact ? param : `lower(${param}::text)`;
        // The "C" collation gives the same byte order on every server, whatever its locale.
        const collate = op === 'eq' || op === 'ne' ? '' : ' COLLATE "C"';
        return `${lhs}${collate} ${ORDER_SQL[op]} ${rhs}`;
      }
    }
  }

  private ordered(sql: string, op: CompareOp, rhs: string): string {
    switch (op) {
      case 'eq':
      case 'ne':
      case 'gt':
      case 'ge':
      case 'lt':
      case 'le':
        return `${sql} ${ORDER_SQL[op]} ${rhs}`;
      case 'co':
      case 'sw':
      case 'ew':
        // checkOperator lets substring operators through for strings only.
        throw new Error(`unreachable: "${op}" on a non-string attribute`);
    }
  }

  private checkOperator(column: Column, op: CompareOp): void {
    let valid: boolean;
    switch (op) {
      case 'eq':
      case 'ne':
        valid = true;
        break;
      case 'co':
      case 'sw':
      case 'ew':
        valid = column.type === 'string';
        break;
      case 'gt':
      case 'ge':
      case 'lt':
      case 'le':
        valid = column.type !== 'boolean';
        break;
    }
    if (!valid) {
      this.fail(
        `operator "${op}" is not valid for ${column.type} attribute ${quote(column.name)} at position ${column.position}`,
        column.position,
      );
    }
  }

  /**
   * A number literal on a string attribute compares as the text written, so `correlationId eq
   * 123` matches "123" (and `eq 1.0` matches "1.0", not "1"). Booleans are refused: a quoted
   * "true" says what is meant.
   */
  private stringValue(column: Column, value: ScimLiteral): string {
    if (value.kind === 'string') return value.value;
    if (value.kind === 'number') return value.raw;
    return this.mismatch(column, 'a string', value);
  }

  private numberValue(column: Column, value: ScimLiteral): number {
    return value.kind === 'number' ? value.value : this.mismatch(column, 'a number', value);
  }

  private booleanValue(column: Column, value: ScimLiteral): boolean {
    return value.kind === 'boolean' ? value.value : this.mismatch(column, 'true or false', value);
  }

  private dateTimeValue(column: Column, value: ScimLiteral): string {
    const expected = 'an ISO 8601 date-time string with an offset, e.g. "2020-12-15T00:00:00Z"';
    if (value.kind !== 'string') return this.mismatch(column, expected, value);
    if (parseScimDateTime(value.value) === undefined) {
      return this.fail(
        `invalid date-time ${quote(value.value)} for attribute ${quote(column.name)} at position ${column.position}: expected ${expected}`,
        column.position,
      );
    }
    return value.value;
  }

  private mismatch(column: Column, expected: string, value: ScimLiteral): never {
    return this.fail(
      `${column.type} attribute ${quote(column.name)} at position ${column.position} needs ${expected}, found ${describeLiteral(value)}`,
      column.position,
    );
  }

  private presentColumn(column: Pick<Column, 'sql' | 'type'>): string {
    return column.type === 'string'
      ? `(${column.sql} IS NOT NULL AND ${column.sql} <> '')`
      : `${column.sql} IS NOT NULL`;
  }

  /** The key is bound too: a key is client text like any value. */
  private mapKeyColumn(
    target: Extract<Target, { kind: 'mapKey' }>,
    key = this.params.bind(target.key),
  ): Column {
    const { map, name, position } = target;
    return {
      sql: `(${map.jsonb} ->> ${key}::text)`,
      type: 'string',
      caseExact: map.caseExact,
      name,
      position,
    };
  }

  private elementColumn(alias: string, sub: SubAttribute): Omit<Column, 'name' | 'position'> {
    const text = `(${alias}.v ->> ${sqlLiteral(sub.name)})`;
    const cast = CASTS[sub.type];
    return { sql: cast ? `${text}${cast}` : text, type: sub.type, caseExact: sub.caseExact };
  }

  /**
   * CASE rather than COALESCE: a stored JSON `null` (or any non-array) is not SQL NULL, and
   * jsonb_array_elements would fail the whole query on it.
   */
  private exists(attr: MultiValuedAttribute, alias: string, where: string): string {
    const array = `CASE WHEN jsonb_typeof(${attr.jsonb}) = 'array' THEN ${attr.jsonb} ELSE '[]'::jsonb END`;
    return `EXISTS (SELECT 1 FROM jsonb_array_elements(${array}) AS ${alias}(v) WHERE ${where})`;
  }

  private nextAlias(): string {
    this.aliases++;
    return `scim_e${this.aliases}`;
  }
}

function describeLiteral(value: ScimLiteral): string {
  switch (value.kind) {
    case 'string':
      return quote(value.value);
    case 'number':
      return value.raw.length > 30 ? `${value.raw.slice(0, 30)}…` : value.raw;
    case 'boolean':
      return String(value.value);
    case 'null':
      return 'null';
  }
}
