import { randomBytes } from 'node:crypto';
import { createUser } from '../factories/user';
import { IMPORT_TEST_ENV, postImport, waitForImport } from '../utils/imports';
import { useTestApp } from '../utils/suite';
import { TestApp } from '../utils/test-app';

type Json = Record<string, any>;

/** RFC 7643 §3.1: common attributes every resource has, described by no schema. */
const COMMON = new Set(['schemas', 'id', 'externalid', 'meta']);
const META = new Set(['resourcetype', 'created', 'lastmodified', 'location', 'version']);
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * What a SCIM client that builds its models from /Schemas does with a resource: every member
 * must be declared (names compared in any case, RFC 7643 §2.1), of its declared type and
 * plurality, complex values only with their declared sub-attributes, required attributes
 * present (null counts as absent) and `returned: never` ones absent. Returns every violation as `path: what`.
 */
function violations(resource: Json, attributes: Json[], path = ''): string[] {
  const out: string[] = [];
  const declared = new Map(attributes.map((a) => [String(a.name).toLowerCase(), a]));
  for (const [key, value] of Object.entries(resource)) {
    const here = path ? `${path}.${key}` : key;
    if (path === '' && COMMON.has(key.toLowerCase())) continue;
    // RFC 7643 §2.5: null is the same state as unassigned (AuditRecords render `message` so).
    if (value === null) continue;
    const a = declared.get(key.toLowerCase());
    if (!a) {
      out.push(`${here}: not declared`);
      continue;
    }
    if (a.returned === 'never') out.push(`${here}: returned although declared returned never`);
    if (a.multiValued) {
      if (!Array.isArray(value)) out.push(`${here}: multiValued but not an array`);
      else value.forEach((v, i) => out.push(...valueViolations(v, a, `${here}[${i}]`)));
    } else if (Array.isArray(value)) {
      out.push(`${here}: an array but not multiValued`);
    } else {
      out.push(...valueViolations(value, a, here));
    }
  }
  for (const a of attributes) {
    const present = Object.entries(resource).some(
      ([k, v]) => k.toLowerCase() === a.name.toLowerCase() && v !== null,
    );
    if (a.required && a.returned !== 'never' && !present) {
      out.push(`${path ? `${path}.` : ''}${a.name}: required but absent`);
    }
  }
  return out;
}

function valueViolations(value: unknown, a: Json, path: string): string[] {
  const is = (ok: boolean) => (ok ? [] : [`${path}: ${JSON.stringify(value)} is not ${a.type}`]);
  switch (a.type) {
    case 'string':
    case 'reference':
    case 'binary':
      return is(typeof value === 'string');
    case 'boolean':
      return is(typeof value === 'boolean');
    case 'integer':
      return is(Number.isInteger(value));
    case 'decimal':
      return is(typeof value === 'number');
    case 'dateTime':
      return is(typeof value === 'string' && DATE_TIME.test(value));
    case 'complex':
      if (!value || typeof value !== 'object' || Array.isArray(value)) return is(false);
      return violations(value as Json, a.subAttributes ?? [], path);
    default:
      return [`${path}: unknown type ${a.type}`];
  }
}

function metaViolations(resource: Json, resourceType: string): string[] {
  const meta = resource.meta as Json | undefined;
  if (!meta) return ['meta: absent'];
  return [
    ...Object.keys(meta)
      .filter((k) => !META.has(k.toLowerCase()))
      .map((k) => `meta.${k}: not an RFC 7643 §3.1 member`),
    ...(meta.resourceType === resourceType ? [] : [`meta.resourceType: ${meta.resourceType}`]),
    ...(typeof resource.id === 'string' ? [] : ['id: not a string']),
  ];
}

describe('a SCIM client building its models from /Schemas (RFC 7643 §7)', () => {
  const s = useTestApp({ env: IMPORT_TEST_ENV });
  const { send } = s;
  let t: TestApp;
  let v2: string;
  let schemas: Map<string, Json>;
  let types: Json[];
  beforeAll(async () => {
    t = s.t;
    v2 = `/${t.tenant}/v2`;
    const listed = (await send({ method: 'GET', url: `${v2}/Schemas` })).json();
    schemas = new Map(listed.Resources.map((x: Json) => [x.id, x]));
    types = (await send({ method: 'GET', url: `${v2}/ResourceTypes` })).json().Resources;
  });

  /** Checks resources against their resource type's schema and extensions, strictly. */
  function check(resourceType: string, resources: Json[]): void {
    const type = types.find((x) => x.name === resourceType);
    expect(type).toBeDefined();
    const core = schemas.get(type!.schema);
    expect(core).toBeDefined();
    const extensions = (type!.schemaExtensions ?? []).map((e: Json) => e.schema as string);
    expect(resources.length).toBeGreaterThan(0);
    for (const resource of resources) {
      const problems = [...metaViolations(resource, resourceType)];
      expect(resource.schemas).toContain(type!.schema);
      const body: Json = {};
      for (const [key, value] of Object.entries(resource)) {
        if (extensions.includes(key)) {
          problems.push(...violations(value as Json, schemas.get(key)!.attributes, key));
        } else if (!resource.schemas.includes(key)) {
          body[key] = value;
        } else {
          problems.push(`${key}: an extension not declared by the resource type`);
        }
      }
      problems.push(...violations(body, core!.attributes));
      expect([resource.id, problems]).toEqual([resource.id, []]);
    }
  }

  async function list(resource: string, query = ''): Promise<Json[]> {
    const res = await send({ method: 'GET', url: `${v2}/${resource}?count=200${query}` });
    expect(res.statusCode).toBe(200);
    return res.json().Resources;
  }

  it('parses Users, with every kind of attribute the service stores', async () => {
    await createUser(t, {
      externalId: 'ext-full',
      name: { givenName: 'Ada', familyName: 'Lovelace', formatted: 'Ada Lovelace' },
      displayName: 'Ada',
      profileUrl: 'https://example.com/ada',
      active: false,
      password: 'correct horse battery staple',
      emails: [{ value: 'ada@example.com', type: 'work', primary: true }],
      phoneNumbers: [{ value: '+44 20 0000 0000', type: 'mobile' }],
      photos: [{ value: 'https://example.com/ada.png', type: 'photo' }],
      addresses: [{ locality: 'London', country: 'GB', type: 'home', primary: true }],
      entitlements: [{ value: 'admin' }],
      x509Certificates: [{ value: 'MIIB' }],
    });
    // A user with group membership (set by import) and one with nothing but a userName.
    await createUser(t);
    const imported = await postImport(
      t,
      'Users',
      { users: [{ userName: `grp-${randomBytes(4).toString('hex')}` }], group: { value: 'G1' } },
      `schemas-${randomBytes(4).toString('hex')}`,
    );
    await waitForImport(t, imported.headers.location as string);
    const users = await list('Users');
    expect(users.some((u) => u.groups)).toBe(true);
    check('User', users);
  });

  it('parses Devices and Organizations, with and without their references', async () => {
    const owner = await createUser(t);
    for (const body of [
      { serialNumber: `S-${randomBytes(4).toString('hex')}`, type: 'T' },
      {
        serialNumber: `S-${randomBytes(4).toString('hex')}`,
        type: 'T',
        status: 'SUSPENDED',
        externalId: 'dev-ext',
        owner: { value: owner.id },
      },
    ]) {
      expect((await send({ method: 'POST', url: `${v2}/Devices`, payload: body })).statusCode).toBe(
        201,
      );
    }
    const parent = await send({
      method: 'POST',
      url: `${v2}/Organizations`,
      payload: { name: 'Root', externalId: `root-${randomBytes(4).toString('hex')}` },
    });
    expect(parent.statusCode).toBe(201);
    const child = await send({
      method: 'POST',
      url: `${v2}/Organizations`,
      payload: { name: 'Leaf', parent: { value: parent.json().id } },
    });
    expect(child.statusCode).toBe(201);
    check('Device', await list('Devices'));
    check('Organization', await list('Organizations'));
  });

  it('parses AuditRecords: successes, failures, imports and token grants', async () => {
    // A failure record (return_value, message) beside the successes made above.
    const refused = await send({ method: 'POST', url: `${v2}/Devices`, payload: { type: 'T' } });
    expect(refused.statusCode).toBe(400);
    const records = await list('AuditRecords');
    const actions = new Set(records.map((r) => r.action.actionName));
    for (const action of ['primaryAuthenticateUP', 'createUser', 'importUsers', 'addDevice']) {
      expect(actions).toContain(action);
    }
    expect(records.some((r) => r.result === 'RESPONSE_FAILURE')).toBe(true);
    check('AuditRecord', records);
  });

  it('catches what it should: an undeclared member, a wrong type, a missing required one', () => {
    const attributes = schemas.get('urn:hid:scim:api:idp:2.0:Device')!.attributes;
    expect(violations({ serialNumber: 'S', type: 'T', colour: 'red' }, attributes)).toEqual([
      'colour: not declared',
    ]);
    expect(violations({ serialNumber: 1, type: 'T' }, attributes)).toEqual([
      'serialNumber: 1 is not string',
    ]);
    expect(violations({ type: 'T', owner: { value: 'x', extra: 1 } }, attributes)).toEqual([
      'owner.extra: not declared',
      'serialNumber: required but absent',
    ]);
  });
});
