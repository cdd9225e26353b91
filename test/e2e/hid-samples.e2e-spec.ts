import { TransactionHost } from '@nestjs-cls/transactional';
import { v7 as uuidv7 } from 'uuid';
import { ClientProvisioningService } from '../../src/clients/client-provisioning.service';
import { RequestContextService } from '../../src/context/request-context.service';
import { createUserWithDevice } from '../factories/devices';
import { bcauthorize, eventually } from '../utils/ciba';
import { recordsOfCoi } from '../utils/records';
import { useTestApp } from '../utils/suite';
import { TestApp } from '../utils/test-app';

/**
 * The request samples of HID's "Managing the Correlation ID" page, sent verbatim (bodies as
 * the page prints them; only `{tenant}` and the bearer token are filled in), and the
 * correlation-id lengths Auth0 documents. Each sample gets its own tenant, so each search
 * sees only the records its own sample made.
 */
describe("HID's and Auth0's request samples, verbatim", () => {
  const s = useTestApp({ tenants: 4 });
  const CID = 'f058ebd6-02f7-4d3f-942e-904344e8cde5';
  let t: TestApp;
  let tokenTenant: string;
  let registerTenant: string;
  let importTenant: string;
  beforeAll(() => {
    t = s.t;
    // The first tenant (t.tenant) serves the CIBA and Auth0 samples.
    [, tokenTenant, registerTenant, importTenant] = t.tenants;
  });

  const json = async (tenant: string, url: string, body: string, correlationId?: string) =>
    t.request({
      method: 'POST',
      url,
      token: await t.adminToken(tenant),
      correlationId,
      headers: { 'content-type': 'application/json' },
      payload: body,
    });

  it('token: client_credentials with client_secret_post and "scope=openid profile"', async () => {
    // The sample's client, with the password the page shows, as an operator would provision it.
    await t.app.get(RequestContextService).run({ requestId: uuidv7(), tenant: tokenTenant }, () =>
      t.app.get(TransactionHost).withTransaction(() =>
        t.app.get(ClientProvisioningService).provision(tokenTenant, {
          clientId: 'spl-api',
          secret: 'password01',
          grantTypes: ['client_credentials'],
          scopes: ['openid', 'profile'],
          tokenEndpointAuthMethod: 'client_secret_post',
          metadata: {},
        }),
      ),
    );
    const res = await t.request({
      method: 'POST',
      url: `/${tokenTenant}/authn/token`,
      correlationId: CID,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload:
        'grant_type=client_credentials&client_id=spl-api&client_secret=password01&scope=openid profile',
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-correlation-id']).toBe(CID);
    expect(res.json()).toMatchObject({ token_type: 'Bearer', scope: 'openid profile' });
    const records = await t.recordsFor(CID, tokenTenant);
    expect(records.map((r) => [r.action_name, r.result, r.acting_user_id])).toEqual([
      ['primaryAuthenticateUP', 'RESPONSE_SUCCESS', 'spl-api'],
    ]);
  });

  describe('client registration, then the audit search for its correlation id', () => {
    let registered: Record<string, unknown>;

    it('registers with the HID body, hid_client_scopes included, and makes three records', async () => {
      const res = await json(
        registerTenant,
        `/${registerTenant}/authn/register`,
        `{
"redirect_uris":["https://client.example.org","https://client2.example.org"],
"client_name" : "CustomerClientId",
"token_endpoint_auth_method": "client_secret_basic",
"hid_client_channel": "CH_EXTRAPP",
"hid_client_pwd_policy": "AT_SYSLOG",
"hid_client_pki_policy": "AT_SYSPKI",
"hid_user_channel": "CH_EXTRAPP",
"hid_user_authn_policy": "AT_STDPWD",
"hid_sessiontransfer_type": "NUM001",
"hid_client_group": "UG_CLIENTID",
"hid_client_scopes":"{\\"scopes\\":[\\"openid\\",\\"profile\\"]}",
"hid_client_consentprompt": "false"
}`,
        CID,
      );
      expect(res.statusCode).toBe(201);
      expect(res.headers['x-correlation-id']).toBe(CID);
      registered = res.json();
      expect(registered).toMatchObject({
        client_name: 'CustomerClientId',
        token_endpoint_auth_method: 'client_secret_basic',
        redirect_uris: ['https://client.example.org', 'https://client2.example.org'],
        hid_client_channel: 'CH_EXTRAPP',
        hid_client_pwd_policy: 'AT_SYSLOG',
        hid_client_pki_policy: 'AT_SYSPKI',
        hid_client_group: 'UG_CLIENTID',
        hid_client_scopes: '{"scopes":["openid","profile"]}',
        hid_client_consentprompt: 'false',
        scope: 'openid profile',
        registration_client_uri: `http://localhost:3000/${registerTenant}/authn/register/${registered.client_id as string}`,
      });
      expect(registered.client_secret).toEqual(expect.any(String));
      const records = await t.recordsFor(CID, registerTenant);
      expect(records.map((r) => r.action_name)).toEqual([
        'createUser',
        'createAdapterConfiguration',
        'createUPAuthenticator',
      ]);
      expect(new Set(records.map((r) => r.request_id)).size).toBe(1);

      // The client gets the scopes hid_client_scopes named.
      const token = await t.tokenRequest(
        { grant_type: 'client_credentials' },
        registered.client_id as string,
        registered.client_secret as string,
        registerTenant,
      );
      expect(token.statusCode).toBe(200);
      expect(token.json().scope).toBe('openid profile');
    });

    it('finds the three records with the search sample (bare correlation id)', async () => {
      const res = await json(
        registerTenant,
        `/${registerTenant}/v2/AuditRecords/.search`,
        `{
"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
"filter": "correlationId eq f058ebd6-02f7-4d3f-942e-904344e8cde5",
"count": 10
}`,
      );
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body).toMatchObject({
        schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'],
        totalResults: 3,
      });
      expect(body.Resources.map((r: any) => r.action.actionName).sort()).toEqual([
        'createAdapterConfiguration',
        'createUPAuthenticator',
        'createUser',
      ]);
      for (const record of body.Resources) expect(record.correlationId).toBe(CID);
    });
  });

  describe("the contract's own search samples, on the registration's records", () => {
    it.each([
      ['correlationId eq f058ebd6-02f7-4d3f-942e-904344e8cde5', 3],
      ['created gt "2020-12-15T00:00:00Z" and correlationId eq "' + CID + '"', 3],
      ['action[actionName eq "createUser"] and correlationId eq ' + CID, 1],
      ['not (action.actionName eq "createUser") and correlationId pr', 2],
    ])('POST .search with %s', async (filter, expected) => {
      const res = await json(
        registerTenant,
        `/${registerTenant}/v2/AuditRecords/.search`,
        JSON.stringify({
          schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'],
          filter,
          startIndex: 0,
          count: 10,
        }),
      );
      expect(res.statusCode).toBe(200);
      expect(res.json().totalResults).toBe(expected);
    });

    it('GET ?filter= with the same filter', async () => {
      const res = await t.request({
        method: 'GET',
        url: `/${registerTenant}/v2/AuditRecords?filter=${encodeURIComponent(`correlationId eq ${CID}`)}&count=10`,
        token: await t.adminToken(registerTenant),
      });
      expect(res.statusCode).toBe(200);
      expect(res.json().totalResults).toBe(3);
    });
  });

  describe('bulk user import, then the COI and Event searches', () => {
    let coi: string;

    it('imports the sample users and answers 201 with both ids', async () => {
      const res = await json(
        importTenant,
        `/${importTenant}/v2/Users/.import`,
        `{
"users": [{
"emails": [{
"value": "email_1@companyl.com"
}],
"name": {
"familyName": "last1",
"givenName": "first1"
},
"externalId": "userPrefix_1"
},
{
"emails": [{
"value": "email_2@company.com"
}],
"name": {
"familyName": "last2",
"givenName": "first2"
},
"externalId": "userPrefix_2"
}],
"group": {
"value": "USG_FTEMP"
}
}`,
        CID,
      );
      expect(res.statusCode).toBe(201);
      expect(res.headers['x-correlation-id']).toBe(CID);
      coi = res.json().correlationId;
      expect(res.json()).toEqual({
        schemas: ['urn:hid:scim:api:idp:2.0:user:ImportResponse'],
        meta: {
          resourceType: 'UserImportResponse',
          location: `http://localhost:3000/${importTenant}/v2/Users/.import/${coi}`,
          version: '1',
        },
        correlationId: coi,
      });
      expect(res.headers.location).toBe(res.json().meta.location);
      const status = await eventually(async () => {
        const polled = await t.request({
          method: 'GET',
          url: new URL(res.headers.location as string).pathname,
          token: await t.adminToken(importTenant),
        });
        return polled.json().status === 'completed' && polled.json();
      });
      expect(status).toMatchObject({ status: 'completed', nbImported: 2, nbFailed: 0 });
      const start = (await recordsOfCoi(t, coi, importTenant)).find(
        (r) => r.action_name === 'importUsers',
      );
      expect(start).toMatchObject({ correlation_id: CID });
      expect(start.action_parameters).toMatchObject({ step: 'start', importSize: '2', COI: coi });
    });

    it('answers the COI search sample verbatim, and finds the import by its own COI', async () => {
      const sample = `{
"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
"filter": "action.actionParameters.COI eq 12P4NS361SK9MDQCF6F8",
"count": 10
}`;
      const url = `/${importTenant}/v2/AuditRecords/.search`;
      const none = await json(importTenant, url, sample);
      expect(none.statusCode).toBe(200);
      expect(none.json()).toMatchObject({ totalResults: 0, Resources: [] });

      const found = await json(importTenant, url, sample.replace('12P4NS361SK9MDQCF6F8', coi));
      expect(found.statusCode).toBe(200);
      const actions = found.json().Resources.map((r: any) => r.action.actionName);
      expect(actions.sort()).toEqual(['createUser', 'createUser', 'importUsers', 'importUsers']);
      for (const r of found.json().Resources) {
        expect(r).toMatchObject({
          correlationId: CID,
          coi,
          action: { actionParameters: { COI: coi } },
        });
      }
    });

    it('answers the Event search sample verbatim, and counts the import by its COI', async () => {
      const sample = `{
"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
"filter": "correlationId eq 1NGO3I50EG92RKBJTM1V",
"count": 10
}`;
      const url = `/${importTenant}/v2/Events/.search`;
      const none = await json(importTenant, url, sample);
      expect(none.statusCode).toBe(200);
      expect(none.json()).toEqual({
        schemas: ['urn:ietf:params:scim:api:messages:2.0:EventList'],
        eventTokens: [],
        tainted: false,
        matchedCriteria: 0,
      });
      const found = await json(importTenant, url, sample.replace('1NGO3I50EG92RKBJTM1V', coi));
      expect(found.json()).toMatchObject({ tainted: false, matchedCriteria: 4 });
      expect(found.json().eventTokens).toHaveLength(4);
    });
  });

  it("delivers a challenge for the page's login_hint_token (LHT) and records its context", async () => {
    await createUserWithDevice(t, 'ble-push');
    const lht =
      'eyJhbGciOiJub25lIn0.eyJhdXRocG9sIjoiQVRfVERTIiwidGRzIjoie2Ftb3VudCwgNDAwLjAwfSx7c29ydGNvZGUsMjAtMzAtOTB9LCB7YWNjb3VudF90bywxMjM0LTU2Nzh9IiwiY2hhbm5lbCI6IkNIX1REUyIsInVzZXJjb2RlIjoiYmxlLXB1c2giLCJjcmVhdGVTZXNzaW9uIjoiMSIsInRkc19jb250ZXh0IjoiVFhrZ2RISmhibk5oWTNScGIyNGdjMkZ0Y0d4bElHTnZiblJsZUhRPSJ9.';
    const res = await bcauthorize(
      t,
      { scope: 'openid', login_hint_token: lht },
      { correlationId: CID },
    );
    expect(res.statusCode).toBe(200);
    const coi = res.json().auth_req_id;
    // On the trail before the answer reached us: no waiting.
    const delivered = (await recordsOfCoi(t, coi)).find(
      (r) => r.action_name === 'indirectDeliverChallenge',
    );
    expect(delivered).toMatchObject({ result: 'RESPONSE_SUCCESS', correlation_id: CID });
    expect(delivered.action_parameters).toMatchObject({
      Action: 'indirectDeliverChallenge',
      COI: coi,
      CHC: 'CH_TDS',
      ATC: 'AT_TDS',
      LHT: expect.any(String),
    });
  });

  describe("Auth0's correlation-id lengths", () => {
    it('accepts and stores a 64-character id on a write, and refuses 65 characters', async () => {
      const id64 = 'a'.repeat(32) + '-' + 'B'.repeat(31);
      const ok = await t.request({
        method: 'POST',
        url: `/${t.tenant}/v2/Users`,
        token: await t.adminToken(),
        correlationId: id64,
        payload: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'auth0-64' },
      });
      expect(ok.statusCode).toBe(201);
      expect(ok.headers['x-correlation-id']).toBe(id64);
      expect((await t.recordsFor(id64)).map((r) => r.action_name)).toEqual(['createUser']);

      const tooLong = await t.request({
        method: 'POST',
        url: `/${t.tenant}/v2/Users`,
        token: await t.adminToken(),
        correlationId: `${id64}x`,
        payload: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'auth0-65' },
      });
      expect(tooLong.statusCode).toBe(400);
      expect(tooLong.headers['x-correlation-id']).toBeUndefined();
    });
  });
});
