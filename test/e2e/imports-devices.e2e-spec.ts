import { userBody } from '../factories/user';
import { IMPORT_TEST_ENV, postImport, waitForImport } from '../utils/imports';
import { recordsOfCoi } from '../utils/records';
import { useTestApp } from '../utils/suite';
import { TestApp } from '../utils/test-app';

describe('bulk import of devices and organizations', () => {
  const s = useTestApp({ env: IMPORT_TEST_ENV });
  let t: TestApp;
  let token: string;
  beforeAll(() => ({ t, token } = s));

  async function run(resource: 'Devices' | 'Organizations', body: unknown, correlationId: string) {
    const res = await postImport(t, resource, body, correlationId);
    expect(res.statusCode).toBe(201);
    expect(res.headers.location).toBe(
      `http://localhost:3000/${t.tenant}/v2/${resource}/.import/${res.json().correlationId}`,
    );
    expect(res.headers.location).toBe(res.json().meta.location);
    const status = await waitForImport(t, res.headers.location as string);
    return { body: res.json(), coi: res.json().correlationId as string, status };
  }

  async function get(url: string): Promise<any> {
    const res = await t.request({ method: 'GET', url: `/${t.tenant}/v2/${url}`, token });
    expect(res.statusCode).toBe(200);
    return res.json();
  }

  it('imports devices with owners by id or userName; bad items fail alone', async () => {
    const alice = await t.request({
      method: 'POST',
      url: `/${t.tenant}/v2/Users`,
      token,
      payload: userBody('alice'),
    });
    const aliceId = alice.json().id;
    const { body, coi, status } = await run(
      'Devices',
      {
        devices: [
          { serialNumber: 'DSN-1', type: 'MOBILE', owner: { value: aliceId } },
          {
            serialNumber: 'DSN-2',
            type: 'TOKEN',
            status: 'suspended',
            owner: { userName: 'ALICE' },
            externalId: 'ext-2',
          },
          { serialNumber: 'DSN-3', type: 'TOKEN', owner: { userName: 'nobody' } },
          { serialNumber: 'DSN-1', type: 'MOBILE' },
          { serialNumber: 'DSN-4', type: 'MOBILE', status: 'LOST' },
          { type: 'MOBILE' },
          { serialNumber: 'DSN-5', type: 'TOKEN' },
        ],
      },
      'devices-1',
    );
    expect(body).toEqual({
      schemas: ['urn:hid:scim:api:idp:2.0:device:ImportResponse'],
      meta: { resourceType: 'DeviceImportResponse', location: expect.any(String), version: '1' },
      correlationId: coi,
    });
    expect(status).toMatchObject({
      status: 'completed',
      importSize: 7,
      nbImported: 3,
      nbFailed: 4,
    });
    expect(status.errors.map((e: any) => [e.index, e.serialNumber, e.status, e.scimType])).toEqual([
      [2, 'DSN-3', '400', 'invalidValue'],
      [3, 'DSN-1', '409', 'uniqueness'],
      [4, 'DSN-4', '400', 'invalidValue'],
      [5, undefined, '400', 'invalidValue'],
    ]);

    const records = await t.recordsFor('devices-1');
    expect(records.map((r) => `${r.action_name}:${r.result}`)).toEqual([
      'importDevices:RESPONSE_SUCCESS',
      'addDevice:RESPONSE_SUCCESS',
      'addDevice:RESPONSE_SUCCESS',
      'addDevice:RESPONSE_FAILURE',
      'addDevice:RESPONSE_FAILURE',
      'addDevice:RESPONSE_FAILURE',
      'addDevice:RESPONSE_FAILURE',
      'addDevice:RESPONSE_SUCCESS',
      'importDevices:RESPONSE_SUCCESS',
    ]);
    expect(records.every((r) => r.coi === coi)).toBe(true);
    const added = records[1];
    expect(added.action_parameters).toMatchObject({ entityType: 'Device', DSN: 'DSN-1', COI: coi });
    expect(added).toMatchObject({ target_user_id: 'alice', target_user_immutable_id: aliceId });

    const device = await get(`Devices/${added.action_parameters.entityId}`);
    expect(device).toMatchObject({
      schemas: ['urn:hid:scim:api:idp:2.0:Device'],
      id: added.action_parameters.entityId,
      serialNumber: 'DSN-1',
      type: 'MOBILE',
      status: 'ACTIVE',
      owner: { value: aliceId, userName: 'alice' },
      meta: { resourceType: 'Device' },
    });
    const suspended = await get(
      `Devices?filter=${encodeURIComponent('owner.userName eq "alice" and status eq "SUSPENDED"')}`,
    );
    expect(suspended.totalResults).toBe(1);
    expect(suspended.Resources[0]).toMatchObject({ serialNumber: 'DSN-2', externalId: 'ext-2' });
    const all = await get(
      'Devices?sortBy=serialNumber&sortOrder=descending&attributes=serialNumber',
    );
    expect(all.Resources).toEqual([
      {
        schemas: ['urn:hid:scim:api:idp:2.0:Device'],
        id: expect.any(String),
        serialNumber: 'DSN-5',
      },
      expect.objectContaining({ serialNumber: 'DSN-2' }),
      expect.objectContaining({ serialNumber: 'DSN-1' }),
    ]);
    // Cursor paging (RFC 9865), as ServiceProviderConfig announces for every list.
    const serials: string[] = [];
    let cursor = '';
    for (let page = 0; page < 5 && cursor !== undefined; page++) {
      const res = await get(`Devices?count=2&sortBy=serialNumber&cursor=${cursor}`);
      expect(res.totalResults).toBe(3);
      serials.push(...res.Resources.map((d: { serialNumber: string }) => d.serialNumber));
      cursor = res.nextCursor;
    }
    expect(serials).toEqual(['DSN-1', 'DSN-2', 'DSN-5']);
    const missing = await t.request({
      method: 'GET',
      url: `/${t.tenant}/v2/Devices/${aliceId}`,
      token,
    });
    expect(missing.statusCode).toBe(404);
    const noScope = await t.request({
      method: 'GET',
      url: `/${t.tenant}/v2/Devices`,
      token: await t.adminToken(t.tenant, 'users:read'),
    });
    expect(noScope.statusCode).toBe(403);

    // Against devices that exist now.
    const again = await run(
      'Devices',
      { devices: [{ serialNumber: 'DSN-5', type: 'TOKEN' }] },
      'devices-2',
    );
    expect(again.status.errors).toEqual([
      expect.objectContaining({
        index: 0,
        serialNumber: 'DSN-5',
        status: '409',
        scimType: 'uniqueness',
      }),
    ]);
  });

  it('imports organizations in order, parents by externalId or id; bad items fail alone', async () => {
    const first = await run(
      'Organizations',
      { organizations: [{ name: 'Root', externalId: 'root' }] },
      'orgs-1',
    );
    expect(first.body.schemas).toEqual(['urn:hid:scim:api:idp:2.0:organization:ImportResponse']);
    expect(first.body.meta.resourceType).toBe('OrganizationImportResponse');
    const rootId = (await t.recordsFor('orgs-1'))[1].action_parameters.entityId;

    const { coi, status } = await run(
      'Organizations',
      {
        organizations: [
          { name: 'Sales', externalId: 'sales', parent: { value: rootId } },
          { name: 'Sales EMEA', externalId: 'sales-emea', parent: { externalId: 'sales' } },
          { name: 'Orphan', parent: { externalId: 'later' } },
          { name: 'Later', externalId: 'later', parent: { externalId: 'sales-emea' } },
          { name: 'Root again', externalId: 'root' },
          { name: '', externalId: 'blank' },
          { name: 'Child of blank', parent: { externalId: 'blank' } },
        ],
      },
      'orgs-2',
    );
    expect(status).toMatchObject({
      status: 'completed',
      importSize: 7,
      nbImported: 3,
      nbFailed: 4,
    });
    expect(
      status.errors.map((e: any) => [e.index, e.externalId ?? e.name, e.status, e.scimType]),
    ).toEqual([
      [2, 'Orphan', '400', 'invalidValue'],
      [4, 'root', '409', 'uniqueness'],
      [5, 'blank', '400', 'invalidValue'],
      [6, 'Child of blank', '400', 'invalidValue'],
    ]);
    const records = await recordsOfCoi(t, coi);
    expect(records.filter((r) => r.action_name === 'createOrganization')).toHaveLength(7);
    expect(records.map((r) => r.correlation_id)).toEqual(Array(9).fill('orgs-2'));

    const later = await get(`Organizations?filter=${encodeURIComponent('externalId eq "later"')}`);
    expect(later.Resources).toEqual([
      expect.objectContaining({
        schemas: ['urn:hid:scim:api:idp:2.0:Organization'],
        name: 'Later',
        parent: expect.objectContaining({ externalId: 'sales-emea' }),
      }),
    ]);
    const sales = await get(
      `Organizations?filter=${encodeURIComponent('parent.value eq "' + rootId + '"')}`,
    );
    expect(sales.Resources.map((o: any) => o.name)).toEqual(['Sales']);
    const root = await get(`Organizations/${rootId}`);
    expect(root).toMatchObject({
      id: rootId,
      name: 'Root',
      externalId: 'root',
      meta: { resourceType: 'Organization' },
    });
    expect(root.parent).toBeUndefined();
  });
});
