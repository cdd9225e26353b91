import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { AUDIT_EVENT_URI } from '../../src/events/audit-event-tokens.service';
import { APP_CONFIG, AppConfig } from '../../src/config/app-config';
import { recordAs, tamperWith } from '../utils/audit-seed';
import { createTestApp, TestApp, uniqueId } from '../utils/test-app';

const SEARCH_REQUEST = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';
const EVENT_LIST = 'urn:ietf:params:scim:api:messages:2.0:EventList';

describe('Events search: audit records as signed SETs (API.md §6)', () => {
  let t: TestApp;
  let token: string;
  const run = uniqueId('ev');
  const call = `${run}-call`;
  const coi = `${run}-COI`.toUpperCase();

  const events = (body: Record<string, unknown>, correlationId?: string) =>
    t.request({
      method: 'POST',
      url: `/${t.tenant}/v2/Events/.search`,
      token,
      correlationId,
      payload: { schemas: [SEARCH_REQUEST], ...body },
    });

  async function verify(jwt: string) {
    const jwks = (await t.request({ method: 'GET', url: `/${t.tenant}/authn/jwks.json` })).json();
    return jwtVerify(jwt, createLocalJWKSet(jwks), {
      issuer: `${t.app.get<AppConfig>(APP_CONFIG).publicBaseUrl}/${t.tenant}`,
      typ: 'secevent+jwt',
    });
  }

  beforeAll(async () => {
    t = await createTestApp();
    token = await t.adminToken();
    await recordAs(t, { correlationId: call, coi }, 'createCibaRequest', {
      parameters: { LHT: 'bjensen' },
    });
    await recordAs(t, { correlationId: call, coi }, 'indirectDeliverChallenge');
    await recordAs(t, { correlationId: `${run}-later`, coi }, 'approveChallenge');
    await recordAs(t, { correlationId: call }, 'createUser');
  });
  afterAll(() => t.close());

  it('matches correlationId against the COI and returns one verifiable SET per record', async () => {
    const res = await events({ filter: `correlationId eq ${coi}` });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ schemas: [EVENT_LIST], tainted: false, matchedCriteria: 3 });
    expect(body.eventTokens).toHaveLength(3);
    const records = await t.db.query(
      'SELECT id, action_name FROM audit_records WHERE tenant_id = $1 AND coi = $2 ORDER BY created, id',
      [t.tenant, coi],
    );
    for (const [i, jwt] of (body.eventTokens as string[]).entries()) {
      const { payload, protectedHeader } = await verify(jwt);
      expect(protectedHeader).toMatchObject({ alg: 'ES256', typ: 'secevent+jwt' });
      expect(payload.jti).toBe(records[i].id);
      expect(payload.txn).toBe(coi);
      expect(typeof payload.iat).toBe('number');
      expect(typeof payload.toe).toBe('number');
      const event = (payload.events as Record<string, any>)[AUDIT_EVENT_URI];
      expect(event).toMatchObject({
        id: records[i].id,
        coi,
        tenantId: t.tenant,
        action: { actionName: records[i].action_name, actionParameters: { COI: coi } },
      });
    }
  });

  it("does not match the call's own correlation id, which is not a COI", async () => {
    const res = await events({ filter: `correlationId eq "${call}"` });
    expect(res.json()).toMatchObject({ eventTokens: [], matchedCriteria: 0, tainted: false });
  });

  it('pages with count and startIndex, matchedCriteria counting every match', async () => {
    const all = (await events({ filter: `correlationId eq ${coi}` })).json().eventTokens;
    const page = await events({ filter: `correlationId eq ${coi}`, count: 2, startIndex: 0 });
    expect(page.json().matchedCriteria).toBe(3);
    expect(page.json().eventTokens).toHaveLength(2);
    const rest = await events({ filter: `correlationId eq ${coi}`, count: 2, startIndex: 3 });
    expect(rest.json().eventTokens).toHaveLength(1);
    const jti = async (jwt: string) => (await verify(jwt)).payload.jti;
    expect(await jti(rest.json().eventTokens[0])).toBe(await jti(all[2]));
  });

  it('refuses cursor paging and bad filters like the audit search', async () => {
    const cursor = await events({ filter: `correlationId eq ${coi}`, cursor: '' });
    expect(cursor.statusCode).toBe(400);
    expect(cursor.json().scimType).toBe('invalidValue');
    const bad = await events({ filter: 'correlationId eq' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().scimType).toBe('invalidFilter');
  });

  it('never lets a SET pass as an access token', async () => {
    const [jwt] = (await events({ filter: `correlationId eq ${coi}` })).json().eventTokens;
    expect(decodeProtectedHeader(jwt).typ).toBe('secevent+jwt');
    const res = await t.request({ method: 'GET', url: `/${t.tenant}/v2/AuditRecords`, token: jwt });
    expect(res.statusCode).toBe(401);
  });

  it('reports tainted when a matched record no longer verifies', async () => {
    const own = `${run}-TAINT`;
    await recordAs(t, { correlationId: call, coi: own }, 'createCibaRequest');
    await recordAs(t, { correlationId: call, coi: own }, 'expireCibaRequest');
    expect((await events({ filter: `correlationId eq ${own}` })).json().tainted).toBe(false);
    const [victim] = await t.db.query(
      'SELECT id FROM audit_records WHERE tenant_id = $1 AND coi = $2 ORDER BY created, id',
      [t.tenant, own],
    );
    await tamperWith(t, victim.id, 'rewritten');
    const res = await events({ filter: `correlationId eq ${own}`, count: 1, startIndex: 2 });
    // The tampered record is not on this page; it is still one of the matches.
    expect(res.json()).toMatchObject({ tainted: true, matchedCriteria: 2 });
    expect(res.json().eventTokens).toHaveLength(1);
    expect((await events({ filter: `correlationId eq ${coi}` })).json().tainted).toBe(false);
  });

  it('records the search as searchAuditRecords with its correlation id', async () => {
    const mine = `${run}-audit`;
    await events({ filter: `correlationId eq ${coi}`, count: 1 }, mine);
    const [record] = await t.recordsFor(mine);
    expect(record).toMatchObject({ action_name: 'searchAuditRecords', result: 'RESPONSE_SUCCESS' });
    expect(record.action_parameters).toMatchObject({
      endpoint: 'Events',
      filter: `correlationId eq ${coi}`,
      totalResults: '3',
      itemsPerPage: '1',
    });
  });
});
