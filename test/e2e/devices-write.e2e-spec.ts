import { randomBytes } from 'node:crypto';
import { GrantDevicesWriteToAdmins1765000000500 as GrantDevicesWrite } from '../../src/database/migrations/1765000000500-GrantDevicesWriteToAdmins';
import { createUser } from '../factories/user';
import { recordsOfRequest } from '../utils/records';
import { expectScimError, PATCH_OP } from '../utils/scim';
import { useTestApp } from '../utils/suite';
import { TestApp, TestResponse } from '../utils/test-app';

type Json = Record<string, any>;

const DEVICE_SCHEMA = 'urn:hid:scim:api:idp:2.0:Device';
const dsn = () => `DSN-${randomBytes(6).toString('hex').toUpperCase()}`;

describe('SCIM Devices writes (API.md §7)', () => {
  const s = useTestApp({ tenants: 2 });
  const { send } = s;
  let t: TestApp;
  let devices: string;
  beforeAll(() => {
    t = s.t;
    devices = `/${t.tenant}/v2/Devices`;
  });

  async function createDevice(body: Json = {}): Promise<Json> {
    const res = await send({
      method: 'POST',
      url: devices,
      payload: { schemas: [DEVICE_SCHEMA], serialNumber: dsn(), type: 'DT_TDSV4', ...body },
    });
    expect(res.statusCode).toBe(201);
    return res.json();
  }

  const patch = (id: string, ops: Json[], headers: Record<string, string> = {}) =>
    send({
      method: 'PATCH',
      url: `${devices}/${id}`,
      headers,
      payload: { schemas: [PATCH_OP], Operations: ops },
    });

  async function onlyRecord(res: TestResponse): Promise<Json> {
    const records = await recordsOfRequest(t, res);
    expect(records).toHaveLength(1);
    return records[0];
  }

  describe('create', () => {
    it('creates a device with its owner by userName; Location, ETag, addDevice record', async () => {
      const owner = await createUser(t);
      const serialNumber = dsn();
      const res = await send({
        method: 'POST',
        url: devices,
        payload: {
          schemas: [DEVICE_SCHEMA],
          serialNumber,
          type: 'DT_TDSV4',
          externalId: 'ext-1',
          owner: { userName: owner.userName.toUpperCase() },
        },
      });
      expect(res.statusCode).toBe(201);
      expect(res.headers['content-type']).toMatch(/^application\/scim\+json/);
      const device = res.json();
      expect(device).toMatchObject({
        schemas: [DEVICE_SCHEMA],
        serialNumber,
        type: 'DT_TDSV4',
        status: 'ACTIVE',
        externalId: 'ext-1',
        owner: { value: owner.id, userName: owner.userName },
        meta: { resourceType: 'Device', version: 'W/"1"' },
      });
      expect(res.headers.location).toBe(device.meta.location);
      expect(res.headers.etag).toBe('W/"1"');
      const read = await send({ method: 'GET', url: `${devices}/${device.id}` });
      expect(read.json()).toEqual(device);
      expect(await onlyRecord(res)).toMatchObject({
        action_name: 'addDevice',
        result: 'RESPONSE_SUCCESS',
        target_user_id: owner.userName,
        target_user_immutable_id: owner.id,
        action_parameters: { entityType: 'Device', entityId: device.id, DSN: serialNumber },
      });
    });

    it('a serial number taken in the tenant is 409 uniqueness, recorded as a failure', async () => {
      const first = await createDevice();
      const res = await send({
        method: 'POST',
        url: devices,
        payload: { serialNumber: first.serialNumber, type: 'X' },
      });
      expectScimError(res, 409, 'uniqueness');
      expect(await onlyRecord(res)).toMatchObject({
        action_name: 'addDevice',
        result: 'RESPONSE_FAILURE',
      });
      // The same serial number in another tenant is another device.
      const other = await t.request({
        method: 'POST',
        url: `/${t.tenants[1]}/v2/Devices`,
        token: await t.adminToken(t.tenants[1]),
        payload: { serialNumber: first.serialNumber, type: 'X' },
      });
      expect(other.statusCode).toBe(201);
    });

    it.each([
      ['no serialNumber', { type: 'X' }, 'invalidValue'],
      ['no type', { serialNumber: 'S-1' }, 'invalidValue'],
      ['an unknown status', { serialNumber: 'S-2', type: 'X', status: 'LOST' }, 'invalidValue'],
      ['a numeric type', { serialNumber: 'S-3', type: 7 }, 'invalidValue'],
      [
        'an unknown owner',
        { serialNumber: 'S-4', type: 'X', owner: { userName: 'nobody' } },
        'invalidValue',
      ],
      [
        'a malformed owner id',
        { serialNumber: 'S-5', type: 'X', owner: { value: 'x' } },
        'invalidValue',
      ],
      ['an array', [], 'invalidSyntax'],
    ])('%s is 400', async (_label, payload, scimType) => {
      expectScimError(await send({ method: 'POST', url: devices, payload }), 400, scimType);
    });

    it("another tenant's user cannot own the device", async () => {
      const stranger = await t.request({
        method: 'POST',
        url: `/${t.tenants[1]}/v2/Users`,
        token: await t.adminToken(t.tenants[1]),
        payload: { userName: `stranger-${randomBytes(4).toString('hex')}` },
      });
      const res = await send({
        method: 'POST',
        url: devices,
        payload: { serialNumber: dsn(), type: 'X', owner: { value: stranger.json().id } },
      });
      expectScimError(res, 400, 'invalidValue');
    });
  });

  describe('replace and patch', () => {
    it('PUT replaces every writable attribute, moves the version on and records updateDevice', async () => {
      const owner = await createUser(t);
      const device = await createDevice({ externalId: 'old', owner: { value: owner.id } });
      const res = await send({
        method: 'PUT',
        url: `${devices}/${device.id}`,
        headers: { 'if-match': device.meta.version },
        payload: { serialNumber: device.serialNumber, type: 'DT_NEW', status: 'SUSPENDED' },
      });
      expect(res.statusCode).toBe(200);
      const replaced = res.json();
      expect(replaced).toMatchObject({ type: 'DT_NEW', status: 'SUSPENDED' });
      expect(replaced.externalId).toBeUndefined();
      expect(replaced.owner).toBeUndefined();
      expect(replaced.meta.version).toBe('W/"2"');
      expect(res.headers.etag).toBe('W/"2"');
      expect(replaced.meta.created).toBe(device.meta.created);
      // The record names the owner the device had before the change.
      expect(await onlyRecord(res)).toMatchObject({
        action_name: 'updateDevice',
        target_user_immutable_id: owner.id,
        action_parameters: { entityType: 'Device', entityId: device.id, method: 'PUT' },
      });
    });

    it('PATCH sets and removes attributes with paths in any case', async () => {
      const owner = await createUser(t);
      const device = await createDevice({ externalId: 'e' });
      const res = await patch(device.id, [
        { op: 'replace', path: 'STATUS', value: 'revoked' },
        { op: 'add', path: 'owner', value: { userName: owner.userName } },
        { op: 'remove', path: 'externalId' },
      ]);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ status: 'REVOKED', owner: { value: owner.id } });
      expect(res.json().externalId).toBeUndefined();
      expect(await onlyRecord(res)).toMatchObject({
        action_name: 'updateDevice',
        target_user_immutable_id: owner.id,
        action_parameters: { method: 'PATCH' },
      });
      const noPath = await patch(device.id, [{ op: 'replace', value: { type: 'T2' } }]);
      expect(noPath.json()).toMatchObject({ type: 'T2', status: 'REVOKED' });
    });

    it('PATCH cannot remove the status, a required attribute or a read-only one', async () => {
      const device = await createDevice();
      expectScimError(
        await patch(device.id, [{ op: 'remove', path: 'status' }]),
        400,
        'mutability',
      );
      expectScimError(await patch(device.id, [{ op: 'remove', path: 'serialNumber' }]), 400);
      expectScimError(await patch(device.id, [{ op: 'replace', path: 'id', value: 'x' }]), 400);
      expectScimError(
        await patch(device.id, [{ op: 'explode', path: 'type' }]),
        400,
        'invalidSyntax',
      );
      const unchanged = await send({ method: 'GET', url: `${devices}/${device.id}` });
      expect(unchanged.json()).toEqual(device);
    });

    it('a change to a serial number already in use is 409 uniqueness and changes nothing', async () => {
      const [a, b] = [await createDevice(), await createDevice()];
      const res = await patch(b.id, [
        { op: 'replace', path: 'serialNumber', value: a.serialNumber },
      ]);
      expectScimError(res, 409, 'uniqueness');
      expect((await send({ method: 'GET', url: `${devices}/${b.id}` })).json()).toEqual(b);
    });

    it('If-Match with another version is 412 and changes nothing; * matches', async () => {
      const device = await createDevice();
      const stale = await patch(device.id, [{ op: 'replace', path: 'type', value: 'Z' }], {
        'if-match': 'W/"9"',
      });
      expectScimError(stale, 412);
      expect(await onlyRecord(stale)).toMatchObject({ result: 'RESPONSE_FAILURE' });
      const any = await patch(device.id, [{ op: 'replace', path: 'type', value: 'Z' }], {
        'if-match': '*',
      });
      expect(any.statusCode).toBe(200);
      const put = await send({
        method: 'PUT',
        url: `${devices}/${device.id}`,
        headers: { 'if-match': device.meta.version },
        payload: { serialNumber: device.serialNumber, type: 'Y' },
      });
      expectScimError(put, 412);
    });

    it.each(['PUT', 'PATCH', 'DELETE'] as const)(
      '%s of an unknown device is 404',
      async (method) => {
        const res = await send({
          method,
          url: `${devices}/00000000-0000-7000-8000-000000000000`,
          ...(method === 'DELETE'
            ? {}
            : {
                payload:
                  method === 'PUT'
                    ? { serialNumber: dsn(), type: 'X' }
                    : { schemas: [PATCH_OP], Operations: [{ op: 'remove', path: 'externalId' }] },
              }),
        });
        expectScimError(res, 404);
      },
    );
  });

  describe('delete', () => {
    it('deletes with If-Match, records deleteDevice, then 404', async () => {
      const device = await createDevice();
      expectScimError(
        await send({
          method: 'DELETE',
          url: `${devices}/${device.id}`,
          headers: { 'if-match': 'W/"7"' },
        }),
        412,
      );
      const res = await send({
        method: 'DELETE',
        url: `${devices}/${device.id}`,
        headers: { 'if-match': device.meta.version },
      });
      expect(res.statusCode).toBe(204);
      expect(await onlyRecord(res)).toMatchObject({
        action_name: 'deleteDevice',
        result: 'RESPONSE_SUCCESS',
        action_parameters: { entityType: 'Device', entityId: device.id, DSN: device.serialNumber },
      });
      expectScimError(await send({ method: 'GET', url: `${devices}/${device.id}` }), 404);
    });
  });

  it('the OpenAPI document declares the writes with their security and SCIM errors', async () => {
    const doc = (await t.request({ method: 'GET', url: '/docs-json' })).json();
    const expected: [string, string, string, string[]][] = [
      ['/{tenant}/v2/Devices', 'post', 'createDevice', ['201', '400', '403', '409']],
      ['/{tenant}/v2/Devices/{id}', 'put', 'replaceDevice', ['200', '404', '409', '412']],
      ['/{tenant}/v2/Devices/{id}', 'patch', 'patchDevice', ['200', '404', '409', '412']],
      ['/{tenant}/v2/Devices/{id}', 'delete', 'deleteDevice', ['204', '404', '412']],
      ['/{tenant}/v2/Organizations', 'post', 'createOrganization', ['201', '409']],
      ['/{tenant}/v2/Organizations/{id}', 'put', 'replaceOrganization', ['200', '412']],
      ['/{tenant}/v2/Organizations/{id}', 'patch', 'patchOrganization', ['200', '412']],
      ['/{tenant}/v2/Organizations/{id}', 'delete', 'deleteOrganization', ['204', '409']],
    ];
    for (const [path, method, operationId, statuses] of expected) {
      const op = doc.paths[path][method];
      expect(op.operationId).toBe(operationId);
      expect(op.security).toEqual([{ bearer: [] }]);
      expect(op.description).toContain('devices:write');
      expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(statuses));
      for (const status of statuses.filter((x) => x >= '400')) {
        expect(op.responses[status].content['application/scim+json'].schema.$ref).toBe(
          '#/components/schemas/ScimError',
        );
      }
    }
  });

  describe('scopes', () => {
    it('writes need devices:write; devices:read is not enough', async () => {
      const device = await createDevice();
      const reader = await t.adminToken(t.tenant, 'devices:read');
      const res = await t.request({
        method: 'DELETE',
        url: `${devices}/${device.id}`,
        token: reader,
      });
      expect(res.statusCode).toBe(403);
      const writer = await t.adminToken(t.tenant, 'devices:write');
      const ok = await t.request({
        method: 'POST',
        url: devices,
        token: writer,
        payload: { serialNumber: dsn(), type: 'X' },
      });
      expect(ok.statusCode).toBe(201);
    });

    it('the migration gives devices:write to admin clients made before it, only to them', async () => {
      const scopesOf = async (clientId: string): Promise<string[]> =>
        (await t.db.query('SELECT scopes FROM clients WHERE client_id = $1', [clientId]))[0].scopes;
      const admin = `${t.tenants[1]}-admin`;
      await t.db.query(
        `UPDATE clients SET scopes = array_remove(scopes, 'devices:write') WHERE client_id = $1`,
        [admin],
      );
      const runner = t.db.createQueryRunner();
      try {
        await new GrantDevicesWrite().up(runner);
        await new GrantDevicesWrite().up(runner);
      } finally {
        await runner.release();
      }
      const scopes = await scopesOf(admin);
      expect(scopes.filter((x) => x === 'devices:write')).toHaveLength(1);
      // This file's tenants only: other files register clients with every scope meanwhile.
      const registered = await t.db.query(
        `SELECT count(*)::int AS n FROM clients
         WHERE tenant_id = ANY($1) AND NOT (metadata ? 'bootstrap')
           AND 'devices:write' = ANY(scopes)`,
        [t.tenants],
      );
      expect(registered[0].n).toBe(0);
    });

    it("another tenant's device is 404 there, and its token is refused here", async () => {
      const device = await createDevice();
      const other = await t.adminToken(t.tenants[1]);
      const res = await t.request({
        method: 'DELETE',
        url: `/${t.tenants[1]}/v2/Devices/${device.id}`,
        token: other,
      });
      expectScimError(res, 404);
      const cross = await t.request({
        method: 'DELETE',
        url: `${devices}/${device.id}`,
        token: other,
      });
      expect(cross.statusCode).toBe(403);
    });
  });
});
