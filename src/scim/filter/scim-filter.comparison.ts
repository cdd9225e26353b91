import { parseScimDateTime } from './scim-datetime.util';
import { CompareOp, ScimLiteral } from './scim-filter.ast';
import { quote } from './scim-filter.error';
import { ScalarType } from './scim-filter.schema';

/** Collects bind values; placeholders continue from `startAt` so callers can prepend their own. */
export class SqlParams {
  readonly values: unknown[] = [];

  constructor(private readonly startAt = 1) {}

  bind(value: unknown): string {
    this.values.push(value);
    return `$${this.startAt + this.values.length - 1}`;
  }
}

/** A scalar the filter compares: a column, a map key or an array element's sub-attribute. */
export interface Column {
  sql: string;
  type: ScalarType;
  caseExact: boolean;
  name: string;
  position: number;
}

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

/**
 * One comparison of a scalar with a filter value: the operator checked against the type, the
 * value coerced and bound, the SQL written. Errors go through the compiler's `fail`.
 */
export class ColumnComparisons {
  constructor(
    private readonly params: SqlParams,
    private readonly fail: (message: string, position: number | undefined) => never,
  ) {}

  compare(column: Column, op: CompareOp, value: ScimLiteral): string {
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
  stringValue(column: Column, value: ScimLiteral): string {
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
