import { FilterSchema, ScalarAttribute } from '../scim/filter';
import { ORGANIZATION_SCHEMA } from './organization.mapper';

const str = (sql: string, caseExact: boolean): ScalarAttribute => ({
  kind: 'scalar',
  type: 'string',
  caseExact,
  sql,
});

/** Filterable Organization attributes over `organizations g LEFT JOIN organizations p`. */
export const ORGANIZATION_FILTER_SCHEMA: FilterSchema = {
  schema: ORGANIZATION_SCHEMA,
  attributes: {
    id: str('g.id::text', true),
    name: str('g.name', false),
    externalid: str('g.external_id', true),
    'parent.value': str('g.parent_id::text', true),
    'parent.externalid': str('p.external_id', true),
    'meta.created': { kind: 'scalar', type: 'dateTime', caseExact: false, sql: 'g.created' },
    'meta.lastmodified': {
      kind: 'scalar',
      type: 'dateTime',
      caseExact: false,
      sql: 'g.last_modified',
    },
    'meta.resourcetype': {
      kind: 'scalar',
      type: 'string',
      caseExact: true,
      sql: "'Organization'",
    },
  },
};
