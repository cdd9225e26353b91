/** RFC 7643 §7 schema definitions: what /Schemas publishes and what a resource is declared with. */

/** An attribute definition as RFC 7643 §7 publishes it. */
export interface AttributeDefinition {
  name: string;
  type:
    'string' | 'boolean' | 'decimal' | 'integer' | 'dateTime' | 'reference' | 'binary' | 'complex';
  multiValued: boolean;
  description?: string;
  required: boolean;
  caseExact: boolean;
  mutability: 'readOnly' | 'readWrite' | 'immutable' | 'writeOnly';
  returned: 'always' | 'never' | 'default' | 'request';
  uniqueness: 'none' | 'server' | 'global';
  canonicalValues?: string[];
  referenceTypes?: string[];
  subAttributes?: AttributeDefinition[];
}

export interface SchemaDefinition {
  id: string;
  name: string;
  description: string;
  attributes: AttributeDefinition[];
}

export interface ResourceTypeDefinition {
  id: string;
  name: string;
  endpoint: string;
  description: string;
  schema: string;
}

export type AttributeOptions = Partial<Omit<AttributeDefinition, 'name' | 'type'>>;

export function attr(
  name: string,
  type: AttributeDefinition['type'],
  o: AttributeOptions = {},
): AttributeDefinition {
  return {
    name,
    type,
    multiValued: false,
    required: false,
    caseExact: false,
    mutability: 'readWrite',
    returned: 'default',
    uniqueness: 'none',
    ...o,
  };
}

export const str = (name: string, o: AttributeOptions = {}) => attr(name, 'string', o);
export const complex = (
  name: string,
  subAttributes: AttributeDefinition[],
  o: AttributeOptions = {},
) => attr(name, 'complex', { subAttributes, ...o });

/**
 * RFC 7643 §4.1's multi-valued pattern: value, display, type, primary. A `reference` value
 * names its `referenceTypes` (RFC 7643 §7), which SCIM clients need to build their models.
 */
export function multi(
  name: string,
  types: string[],
  valueType: AttributeDefinition['type'] = 'string',
  referenceTypes?: string[],
) {
  return complex(
    name,
    [
      attr('value', valueType, referenceTypes ? { referenceTypes } : {}),
      str('display'),
      str('type', types.length > 0 ? { canonicalValues: types } : {}),
      attr('primary', 'boolean'),
    ],
    { multiValued: true },
  );
}
