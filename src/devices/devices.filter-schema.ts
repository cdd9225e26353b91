import { FilterSchema, ScalarAttribute } from '../scim/filter';
import { DEVICE_SCHEMA } from './device.mapper';

const str = (sql: string, caseExact: boolean): ScalarAttribute => ({
  kind: 'scalar',
  type: 'string',
  caseExact,
  sql,
});

/** Filterable Device attributes over `devices d LEFT JOIN users o` (the owner). */
export const DEVICE_FILTER_SCHEMA: FilterSchema = {
  schema: DEVICE_SCHEMA,
  attributes: {
    id: str('d.id::text', true),
    serialnumber: str('d.serial_number', true),
    type: str('d.type', false),
    status: str('d.status', false),
    externalid: str('d.external_id', true),
    'owner.value': str('d.owner_id::text', true),
    'owner.username': str('o.user_name', false),
    'meta.created': { kind: 'scalar', type: 'dateTime', caseExact: false, sql: 'd.created' },
    'meta.lastmodified': {
      kind: 'scalar',
      type: 'dateTime',
      caseExact: false,
      sql: 'd.last_modified',
    },
    'meta.resourcetype': { kind: 'scalar', type: 'string', caseExact: true, sql: "'Device'" },
  },
};
