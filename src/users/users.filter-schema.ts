import { AttributeDefinition } from '../scim/scim-schema';
import {
  FilterSchema,
  MultiValuedAttribute,
  SchemaAttribute,
  ScalarAttribute,
  SubAttribute,
} from '../scim/filter';
import { USER_SCHEMA, USER_SCHEMA_DEFINITION } from './user.schema';

const str = (sql: string, caseExact = false): ScalarAttribute => ({
  kind: 'scalar',
  type: 'string',
  caseExact,
  sql,
});

const sub = (a: AttributeDefinition): SubAttribute => ({
  name: a.name,
  type: a.type === 'boolean' ? 'boolean' : 'string',
  caseExact: false,
});

/** RFC 7643 §2.4's sub-attributes, which every multi-valued attribute can be filtered on. */
const MULTI_VALUED_SUB: Record<string, SubAttribute> = {
  value: { name: 'value', type: 'string', caseExact: false },
  display: { name: 'display', type: 'string', caseExact: false },
  type: { name: 'type', type: 'string', caseExact: false },
  primary: { name: 'primary', type: 'boolean', caseExact: false },
};

const multi = (a: AttributeDefinition): MultiValuedAttribute => ({
  kind: 'multi',
  jsonb: `u.resource->'${a.name}'`,
  sub: {
    ...MULTI_VALUED_SUB,
    ...Object.fromEntries((a.subAttributes ?? []).map((s) => [s.name.toLowerCase(), sub(s)])),
  },
});

/** Attributes kept in their own columns rather than in `resource`. */
const COLUMNS: Record<string, SchemaAttribute> = {
  id: str('u.id::text', true),
  username: str('u.user_name'),
  externalid: str('u.external_id', true),
  active: { kind: 'scalar', type: 'boolean', caseExact: false, sql: 'u.active' },
};

/**
 * One User attribute's filter entries, read off the schema: a URL (profileUrl) compares
 * exactly; write-only (password) and server-managed (groups) attributes are not filterable.
 */
function entries(a: AttributeDefinition): [string, SchemaAttribute][] {
  const key = a.name.toLowerCase();
  if (a.returned === 'never' || a.mutability === 'readOnly') return [];
  if (COLUMNS[key]) return [[key, COLUMNS[key]]];
  if (a.multiValued) return [[key, multi(a)]];
  if (a.type === 'complex') {
    return (a.subAttributes ?? []).map((s) => [
      `${key}.${s.name.toLowerCase()}`,
      str(`(u.resource->'${a.name}'->>'${s.name}')`),
    ]);
  }
  return [[key, str(`(u.resource->>'${a.name}')`, a.caseExact || a.type === 'reference')]];
}

/** Filterable User attributes (RFC 7643 §4.1) over the `users u` table. */
export const USER_FILTER_SCHEMA: FilterSchema = {
  schema: USER_SCHEMA,
  attributes: {
    ...COLUMNS,
    ...Object.fromEntries(USER_SCHEMA_DEFINITION.attributes.flatMap(entries)),
    'meta.created': { kind: 'scalar', type: 'dateTime', caseExact: false, sql: 'u.created' },
    'meta.lastmodified': {
      kind: 'scalar',
      type: 'dateTime',
      caseExact: false,
      sql: 'u.last_modified',
    },
    'meta.resourcetype': { kind: 'scalar', type: 'string', caseExact: true, sql: "'User'" },
  },
};
