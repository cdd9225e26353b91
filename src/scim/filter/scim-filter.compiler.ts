import {
  AttrPath,
  CompareOp,
  FilterNode,
  ScimLiteral,
  ValuePathNode,
  attrPathText,
} from './scim-filter.ast';
import { ScimFilterError, ScimFilterErrorType, quote } from './scim-filter.error';
import { Column, ColumnComparisons, SqlParams } from './scim-filter.comparison';
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

export { SqlParams };

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

const CASTS: Record<ScalarType, string> = {
  string: '',
  number: '::numeric',
  boolean: '::boolean',
  dateTime: '::timestamptz',
};

const normalised = new WeakMap<FilterSchema, Map<string, SchemaAttribute>>();

/**
 * Lower-cases schema keys once, so a schema written as `correlationId` still resolves. A
 * resource of one schema URN can be filtered on `schemas` (`schemas eq "urn:…"`).
 */
function attributesOf(schema: FilterSchema): Map<string, SchemaAttribute> {
  let map = normalised.get(schema);
  if (!map) {
    map = new Map(Object.entries(schema.attributes).map(([k, v]) => [k.toLowerCase(), v]));
    if (schema.schema !== undefined && !map.has('schemas')) {
      const sql = sqlLiteral(schema.schema);
      map.set('schemas', { kind: 'scalar', type: 'string', caseExact: false, sql });
    }
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
  private readonly columns: ColumnComparisons;
  private readonly urn: string | undefined;

  constructor(
    schema: FilterSchema,
    private readonly params: SqlParams,
    private readonly scimType: ScimFilterErrorType,
  ) {
    this.attributes = attributesOf(schema);
    this.urn = schema.schema?.toLowerCase();
    this.columns = new ColumnComparisons(params, (message, position) =>
      this.fail(message, position),
    );
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
        return this.presentPath(node.attr, scope);
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

  /** A URN-qualified path (RFC 7644 §3.10) must name the resource's own schema. */
  private checkSchema(attr: AttrPath): void {
    if (attr.schema === undefined || this.urn === undefined) return;
    if (attr.schema.toLowerCase() !== this.urn) {
      this.fail(`unknown schema ${quote(attr.schema)} at position ${attr.position}`, attr.position);
    }
  }

  /** Keys of a complex single-valued attribute's sub-attributes; none for any other path. */
  private children(segments: readonly string[]): string[] {
    const key = segments.join('.').toLowerCase();
    if (this.attributes.has(key)) return [];
    return [...this.attributes.keys()].filter((k) => k.startsWith(`${key}.`));
  }

  /** `name pr`: a complex attribute is present when any of its sub-attributes is. */
  private presentPath(attr: AttrPath, scope: Scope): string {
    this.checkSchema(attr);
    const children =
      scope.kind === 'root' ? this.children([...scope.prefix, ...attr.segments]) : [];
    if (children.length === 0) return this.present(this.resolve(attr, scope));
    const parts = children.map((key) =>
      this.present(this.resolve({ segments: key.split('.'), position: attr.position }, ROOT)),
    );
    return `(${parts.join(' OR ')})`;
  }

  private resolve(attr: AttrPath, scope: Scope): Target {
    const { position } = attr;
    this.checkSchema(attr);
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
    this.checkSchema(node.attr);
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
    const isComplex = exact?.kind === 'map' || this.children(segments).length > 0;
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
        return this.columns.compare(target.column, op, value);
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
      const text = this.columns.stringValue(this.mapKeyColumn(target, key), value);
      return `${target.map.jsonb} @> jsonb_build_object(${key}::text, ${this.params.bind(text)}::text)`;
    }
    return this.columns.compare(this.mapKeyColumn(target), op, value);
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
    return this.exists(target.attr, alias, this.columns.compare(column, op, value));
  }

  /**
   * `eq null` on a map or multi-valued attribute means "has no value": the map is empty, the
   * array is empty, or no element has the sub-attribute. `ne null` is the opposite.
   */
  private nullAsPresence(target: Target, op: 'eq' | 'ne'): string {
    const present = this.present(target);
    return op === 'ne' ? present : `NOT COALESCE((${present}), false)`;
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
