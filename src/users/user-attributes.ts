import { AttributeDefinition } from '../scim/scim-schema';
import { USER_SCHEMA_DEFINITION } from './user.schema';

/** What the mapper, the fast path and PATCH need to know of the User, read off its schema. */

const ATTRIBUTES = USER_SCHEMA_DEFINITION.attributes;
const attribute = (name: string): AttributeDefinition => {
  const found = ATTRIBUTES.find((a) => a.name === name);
  if (!found) throw new Error(`the User schema has no attribute ${name}`);
  return found;
};
const isBoolean = (a: AttributeDefinition) => a.type === 'boolean';
const writable = (a: AttributeDefinition) => a.mutability !== 'readOnly';
const names = (list: AttributeDefinition[]) => list.map((a) => a.name);
const subAttributes = (name: string) => attribute(name).subAttributes ?? [];
const split = (list: AttributeDefinition[]) => ({
  strings: names(list.filter((a) => !isBoolean(a))),
  booleans: names(list.filter(isBoolean)),
});

/** Every core User attribute in its schema spelling: RFC 7643 §3.1's common ones and §4.1's. */
export const USER_ATTRIBUTES: string[] = [
  'schemas',
  'id',
  'externalId',
  ...names(ATTRIBUTES),
  'meta',
];

/** The members a client may write, by the JSON type each must have (UserDto declares the same). */
export const WRITABLE_USER_ATTRIBUTES = {
  strings: [
    'externalId',
    ...names(ATTRIBUTES.filter((a) => writable(a) && a.type !== 'complex' && !isBoolean(a))),
  ],
  booleans: names(ATTRIBUTES.filter((a) => writable(a) && isBoolean(a))),
  name: names(subAttributes('name')),
  /** Multi-valued attributes of RFC 7643's value/display/type/primary pattern. */
  multiValued: names(
    ATTRIBUTES.filter((a) => writable(a) && a.multiValued && a.name !== 'addresses'),
  ),
  multiValuedItem: split(subAttributes('emails')),
  address: split(subAttributes('addresses')),
};
