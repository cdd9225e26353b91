import { randomBytes } from 'node:crypto';
import { recordsOfRequest } from '../utils/records';
import { expectScimError, PATCH_OP } from '../utils/scim';
import { useTestApp } from '../utils/suite';
import { TestApp, TestResponse } from '../utils/test-app';

type Json = Record<string, any>;

const ORGANIZATION_SCHEMA = 'urn:hid:scim:api:idp:2.0:Organization';
const ext = () => `org-${randomBytes(5).toString('hex')}`;

describe('SCIM Organizations writes (API.md §7)', () => {
  const s = useTestApp({ tenants: 2 });
  const { send } = s;
  let t: TestApp;
  let organizations: string;
  beforeAll(() => {
    t = s.t;
    organizations = `/${t.tenant}/v2/Organizations`;
  });

  async function createOrganization(body: Json = {}): Promise<Json> {
    const res = await send({
      method: 'POST',
      url: organizations,
      payload: { schemas: [ORGANIZATION_SCHEMA], name: 'Org', externalId: ext(), ...body },
    });
    expect(res.statusCode).toBe(201);
    return res.json();
  }

  const patch = (id: string, ops: Json[], headers: Record<string, string> = {}) =>
    send({
      method: 'PATCH',
      url: `${organizations}/${id}`,
      headers,
      payload: { schemas: [PATCH_OP], Operations: ops },
    });

  async function onlyRecord(res: TestResponse): Promise<Json> {
    const records = await recordsOfRequest(t, res);
    expect(records).toHaveLength(1);
    return records[0];
  }

  it('creates an organization under a parent named by externalId; createOrganization record', async () => {
    const parent = await createOrganization({ name: 'Parent' });
    const res = await send({
      method: 'POST',
      url: organizations,
      payload: { name: 'Child', parent: { externalId: parent.externalId } },
    });
    expect(res.statusCode).toBe(201);
    const child = res.json();
    expect(child).toMatchObject({
      schemas: [ORGANIZATION_SCHEMA],
      name: 'Child',
      parent: { value: parent.id, externalId: parent.externalId },
      meta: { resourceType: 'Organization', version: 'W/"1"' },
    });
    expect(res.headers.location).toBe(child.meta.location);
    expect(res.headers.etag).toBe('W/"1"');
    expect((await send({ method: 'GET', url: `${organizations}/${child.id}` })).json()).toEqual(
      child,
    );
    expect(await onlyRecord(res)).toMatchObject({
      action_name: 'createOrganization',
      result: 'RESPONSE_SUCCESS',
      action_parameters: { entityType: 'Organization', entityId: child.id },
    });
  });

  it('an externalId taken in the tenant is 409 uniqueness, on create and on change', async () => {
    const a = await createOrganization();
    const b = await createOrganization();
    const res = await send({
      method: 'POST',
      url: organizations,
      payload: { name: 'Dup', externalId: a.externalId },
    });
    expectScimError(res, 409, 'uniqueness');
    expect(await onlyRecord(res)).toMatchObject({
      action_name: 'createOrganization',
      result: 'RESPONSE_FAILURE',
    });
    expectScimError(
      await patch(b.id, [{ op: 'replace', path: 'externalId', value: a.externalId }]),
      409,
      'uniqueness',
    );
    expect((await send({ method: 'GET', url: `${organizations}/${b.id}` })).json()).toEqual(b);
  });

  it.each([
    ['no name', {}],
    ['an empty name', { name: ' ' }],
    ['an unknown parent', { name: 'N', parent: { externalId: 'nope' } }],
    ['a parent without a reference', { name: 'N', parent: {} }],
  ])('%s is 400 invalidValue', async (_label, payload) => {
    expectScimError(
      await send({ method: 'POST', url: organizations, payload }),
      400,
      'invalidValue',
    );
  });

  it('PUT replaces, PATCH modifies; both record updateOrganization with the method', async () => {
    const parent = await createOrganization();
    const org = await createOrganization({ parent: { value: parent.id } });
    const put = await send({
      method: 'PUT',
      url: `${organizations}/${org.id}`,
      headers: { 'if-match': org.meta.version },
      payload: { name: 'Renamed' },
    });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toMatchObject({ name: 'Renamed', meta: { version: 'W/"2"' } });
    expect(put.json().parent).toBeUndefined();
    expect(put.json().externalId).toBeUndefined();
    expect(await onlyRecord(put)).toMatchObject({
      action_name: 'updateOrganization',
      action_parameters: { entityType: 'Organization', entityId: org.id, method: 'PUT' },
    });
    const patched = await patch(
      org.id,
      [
        { op: 'replace', path: 'NAME', value: 'Again' },
        { op: 'add', path: 'parent', value: { value: parent.id.toUpperCase() } },
      ],
      { 'if-match': 'W/"2"' },
    );
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({ name: 'Again', parent: { value: parent.id } });
    expect(patched.headers.etag).toBe('W/"3"');
    expect(await onlyRecord(patched)).toMatchObject({
      action_parameters: { method: 'PATCH' },
    });
    expectScimError(
      await patch(org.id, [{ op: 'replace', path: 'name', value: 'X' }], { 'if-match': 'W/"2"' }),
      412,
    );
  });

  it('an organization cannot become its own parent or its descendant’s child', async () => {
    const root = await createOrganization();
    const child = await createOrganization({ parent: { value: root.id } });
    const grandchild = await createOrganization({ parent: { value: child.id } });
    for (const parent of [root.id, grandchild.id]) {
      expectScimError(
        await patch(root.id, [{ op: 'replace', path: 'parent', value: { value: parent } }]),
        400,
        'invalidValue',
      );
    }
    expect((await send({ method: 'GET', url: `${organizations}/${root.id}` })).json()).toEqual(
      root,
    );
  });

  it('a parent cannot be deleted (409); a leaf is deleted with deleteOrganization', async () => {
    const parent = await createOrganization();
    const child = await createOrganization({ parent: { value: parent.id } });
    const refused = await send({ method: 'DELETE', url: `${organizations}/${parent.id}` });
    expectScimError(refused, 409);
    expect(await onlyRecord(refused)).toMatchObject({
      action_name: 'deleteOrganization',
      result: 'RESPONSE_FAILURE',
    });
    const res = await send({
      method: 'DELETE',
      url: `${organizations}/${child.id}`,
      headers: { 'if-match': child.meta.version },
    });
    expect(res.statusCode).toBe(204);
    expect(await onlyRecord(res)).toMatchObject({
      action_name: 'deleteOrganization',
      result: 'RESPONSE_SUCCESS',
      action_parameters: { entityType: 'Organization', entityId: child.id },
    });
    expectScimError(await send({ method: 'GET', url: `${organizations}/${child.id}` }), 404);
    expect(
      (await send({ method: 'DELETE', url: `${organizations}/${parent.id}` })).statusCode,
    ).toBe(204);
  });

  it('writes need devices:write; users:read only reads', async () => {
    const org = await createOrganization();
    const reader = await t.adminToken(t.tenant, 'users:read');
    expect(
      (await t.request({ method: 'GET', url: `${organizations}/${org.id}`, token: reader }))
        .statusCode,
    ).toBe(200);
    const res = await t.request({
      method: 'PATCH',
      url: `${organizations}/${org.id}`,
      token: reader,
      payload: { schemas: [PATCH_OP], Operations: [{ op: 'remove', path: 'externalId' }] },
    });
    expect(res.statusCode).toBe(403);
  });

  it("another tenant's organization is 404 there and cannot be a parent here", async () => {
    const other = await t.request({
      method: 'POST',
      url: `/${t.tenants[1]}/v2/Organizations`,
      token: await t.adminToken(t.tenants[1]),
      payload: { name: 'Elsewhere', externalId: ext() },
    });
    expect(other.statusCode).toBe(201);
    expectScimError(await send({ method: 'GET', url: `${organizations}/${other.json().id}` }), 404);
    expectScimError(
      await send({
        method: 'POST',
        url: organizations,
        payload: { name: 'N', parent: { value: other.json().id } },
      }),
      400,
      'invalidValue',
    );
  });
});
