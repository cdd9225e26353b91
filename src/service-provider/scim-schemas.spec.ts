import { AppConfig } from '../config/app-config';
import { RESOURCE_TYPES } from './scim-schemas';
import { ServiceProviderController } from './service-provider.controller';

type Json = Record<string, any>;

const TYPES = [
  'string',
  'boolean',
  'decimal',
  'integer',
  'dateTime',
  'reference',
  'binary',
  'complex',
];
const MUTABILITY = ['readOnly', 'readWrite', 'immutable', 'writeOnly'];
const RETURNED = ['always', 'never', 'default', 'request'];
const UNIQUENESS = ['none', 'server', 'global'];
/** RFC 7643 §2.1's ATTRNAME, and §2.4's `$ref`. */
const ATTRNAME = /^(?:[A-Za-z][A-Za-z0-9_-]*|\$ref)$/;
/**
 * Complex attributes inside complex attributes: RFC 7643 §2.3.8 forbids them, but HID's
 * AuditRecord returns these shapes, so the schema describes them as they are (audit-search.md).
 */
const NESTED_COMPLEX = new Set(['action.actionParameters', 'actingUserId.session']);

const config = { publicBaseUrl: 'https://id.example.com', scimResourcesKey: 'Resources' };
const controller = new ServiceProviderController(config as unknown as AppConfig);
const published: Json[] = (controller.listSchemas('acme', {}) as Json).Resources;

/** Every way one attribute definition breaks RFC 7643 §7, as readable sentences. */
function problems(a: Json, path: string, depth: number): string[] {
  const out: string[] = [];
  const bad = (what: string) => out.push(`${path}: ${what}`);
  if (typeof a.name !== 'string' || !ATTRNAME.test(a.name)) bad('name is not an ATTRNAME');
  if (!TYPES.includes(a.type)) bad(`type ${a.type} is not one of RFC 7643 §7's`);
  for (const key of ['multiValued', 'required']) {
    if (typeof a[key] !== 'boolean') bad(`${key} is not a boolean`);
  }
  if (!MUTABILITY.includes(a.mutability)) bad(`mutability ${a.mutability}`);
  if (!RETURNED.includes(a.returned)) bad(`returned ${a.returned}`);
  if (!UNIQUENESS.includes(a.uniqueness)) bad(`uniqueness ${a.uniqueness}`);
  if (a.description !== undefined && typeof a.description !== 'string') bad('description');
  if (['string', 'reference', 'binary'].includes(a.type) && typeof a.caseExact !== 'boolean') {
    bad('caseExact is missing on a string-like attribute');
  }
  if (a.mutability === 'writeOnly' && a.returned !== 'never') bad('writeOnly but returned');
  if (a.canonicalValues !== undefined) {
    const ok =
      Array.isArray(a.canonicalValues) &&
      a.canonicalValues.length > 0 &&
      a.canonicalValues.every((v: unknown) => typeof v === canonicalType(a.type));
    if (!ok) bad('canonicalValues are not a non-empty list of values of its type');
  }
  if (a.type === 'reference') {
    const known = new Set(['external', 'uri', ...RESOURCE_TYPES.map((r) => r.name)]);
    const refs = a.referenceTypes;
    if (!Array.isArray(refs) || refs.length === 0) bad('reference without referenceTypes');
    else if (!refs.every((r: unknown) => typeof r === 'string' && known.has(r))) {
      bad(`referenceTypes ${JSON.stringify(refs)} name no resource type, external or uri`);
    }
  } else if (a.referenceTypes !== undefined) bad('referenceTypes on a non-reference');
  if (a.type === 'complex') {
    if (depth > 0 && !NESTED_COMPLEX.has(path.split(':').pop()!)) bad('complex inside complex');
    if (!Array.isArray(a.subAttributes) || a.subAttributes.length === 0) {
      bad('complex without subAttributes');
    } else {
      out.push(...siblings(a.subAttributes, path));
      for (const s of a.subAttributes) out.push(...problems(s, `${path}.${s.name}`, depth + 1));
    }
  } else if (a.subAttributes !== undefined) bad('subAttributes on a non-complex attribute');
  return out;
}

function canonicalType(type: string): string {
  if (type === 'boolean') return 'boolean';
  return type === 'integer' || type === 'decimal' ? 'number' : 'string';
}

/** Attribute names are case-insensitive (RFC 7643 §2.1), so siblings must differ in more than case. */
function siblings(attributes: Json[], path: string): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const a of attributes) {
    const key = String(a.name).toLowerCase();
    if (seen.has(key)) out.push(`${path}: two attributes named ${a.name}`);
    seen.add(key);
  }
  return out;
}

describe('/Schemas against RFC 7643 §7', () => {
  it.each(published.map((s) => [s.id, s]))('%s follows the rules', (_id, schema: Json) => {
    expect(schema.schemas).toEqual(['urn:ietf:params:scim:schemas:core:2.0:Schema']);
    expect(schema.id).toMatch(/^urn:[A-Za-z0-9][A-Za-z0-9-]{0,31}:\S+$/);
    expect(typeof schema.name).toBe('string');
    expect(typeof schema.description).toBe('string');
    expect(schema.meta).toMatchObject({ resourceType: 'Schema' });
    expect(Array.isArray(schema.attributes)).toBe(true);
    const found = [
      ...siblings(schema.attributes, schema.id),
      ...schema.attributes.flatMap((a: Json) => problems(a, `${schema.id}:${a.name}`, 0)),
    ];
    expect(found).toEqual([]);
  });

  it('finds the faults it is meant to find', () => {
    const base = {
      multiValued: false,
      required: false,
      mutability: 'readWrite',
      returned: 'default',
      uniqueness: 'none',
    };
    expect(
      problems({ ...base, name: 'photo', type: 'reference', caseExact: false }, 'p', 0),
    ).toEqual(['p: reference without referenceTypes']);
    expect(problems({ ...base, name: 'n', type: 'string' }, 'n', 0)).toEqual([
      'n: caseExact is missing on a string-like attribute',
    ]);
    expect(problems({ ...base, name: 'c', type: 'complex', subAttributes: [] }, 'c', 0)).toEqual([
      'c: complex without subAttributes',
    ]);
    expect(
      problems({ ...base, name: 'i', type: 'integer', canonicalValues: ['1'] }, 'i', 0),
    ).toEqual(['i: canonicalValues are not a non-empty list of values of its type']);
    expect(
      problems({ ...base, name: 's', type: 'string', caseExact: true, subAttributes: [] }, 's', 0),
    ).toEqual(['s: subAttributes on a non-complex attribute']);
  });

  it('describes every known actionParameters key of the AuditRecord', () => {
    const audit = published.find((s) => s.name === 'AuditRecord')!;
    const action = audit.attributes.find((a: Json) => a.name === 'action');
    const params = action.subAttributes.find((a: Json) => a.name === 'actionParameters');
    const names = params.subAttributes.map((a: Json) => a.name);
    for (const key of ['Action', 'COI', 'step', 'importSize', 'nbImported', 'nbFailed']) {
      expect(names).toContain(key);
    }
    for (const key of ['LHT', 'DSN', 'CHC', 'ATC', 'CLI']) expect(names).toContain(key);
    expect(params.description).toMatch(/others/);
  });
});
