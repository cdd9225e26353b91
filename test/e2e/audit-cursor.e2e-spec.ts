import { sealCursor } from '../../src/scim/scim-cursor';
import { bulkRecords, recordAs } from '../utils/audit-seed';
import { createTestApp, TestApp, TestResponse, uniqueId } from '../utils/test-app';

const SEARCH_REQUEST = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';

describe('audit search cursor paging (RFC 9865)', () => {
  let t: TestApp;
  let token: string;
  const run = uniqueId('cur');
  const bulk = `${run}-bulk`;
  const BULK = 1050;

  const search = (body: Record<string, unknown>, tenant = t.tenant, bearer = token) =>
    t.request({
      method: 'POST',
      url: `/${tenant}/v2/AuditRecords/.search`,
      token: bearer,
      payload: { schemas: [SEARCH_REQUEST], ...body },
    });
  const ids = (res: TestResponse): string[] => res.json().Resources.map((r: any) => r.id);

  /** Follows nextCursor to the end; returns every page's body. */
  async function walk(body: Record<string, unknown>): Promise<any[]> {
    const pages: any[] = [];
    let cursor: string | undefined = '';
    while (cursor !== undefined) {
      const res = await search({ ...body, cursor });
      expect(res.statusCode).toBe(200);
      pages.push(res.json());
      cursor = res.json().nextCursor;
      expect(pages.length).toBeLessThan(100);
    }
    return pages;
  }

  async function expectedOrder(correlationId: string): Promise<string[]> {
    const rows: { id: string }[] = await t.db.query(
      'SELECT id FROM audit_records WHERE tenant_id = $1 AND correlation_id = $2 ORDER BY created, id',
      [t.tenant, correlationId],
    );
    return rows.map((r) => r.id);
  }

  beforeAll(async () => {
    t = await createTestApp({}, 2);
    token = await t.adminToken();
    // One statement: every row has the same `created`, so only the id orders them.
    await bulkRecords(t, BULK, bulk);
    for (const message of ['b', 'a', null, 'C', null, 'a', 'd']) {
      await recordAs(t, { correlationId: `${run}-sort` }, 'updateUser', {
        ...(message !== null ? { message } : {}),
      });
    }
  });
  afterAll(() => t.close());

  it('walks every match exactly once, in the default order, with totalResults on each page', async () => {
    const pages = await walk({ filter: `correlationId eq "${bulk}"`, count: 100 });
    expect(pages).toHaveLength(11);
    const seen = pages.flatMap((p) => p.Resources.map((r: any) => r.id));
    expect(seen).toEqual(await expectedOrder(bulk));
    for (const page of pages) {
      expect(page.totalResults).toBe(BULK);
      expect(page.startIndex).toBeUndefined();
      expect(page.itemsPerPage).toBe(page.Resources.length);
    }
    expect(pages[10].itemsPerPage).toBe(50);
    expect(pages[10].nextCursor).toBeUndefined();
  });

  it('pages by GET with an empty cursor first, and caps count at 1000', async () => {
    const url = (cursor: string) =>
      `/${t.tenant}/v2/AuditRecords?${new URLSearchParams({ filter: `correlationId eq ${bulk}`, count: '5000', cursor }).toString()}`;
    const first = await t.request({ method: 'GET', url: url(''), token });
    expect(first.statusCode).toBe(200);
    expect(first.json().itemsPerPage).toBe(1000);
    expect(typeof first.json().nextCursor).toBe('string');
    const second = await t.request({ method: 'GET', url: url(first.json().nextCursor), token });
    expect(second.json().itemsPerPage).toBe(50);
    expect(second.json().nextCursor).toBeUndefined();
    expect([...ids(first), ...ids(second)]).toEqual(await expectedOrder(bulk));
  });

  it('returns totalResults only for count 0', async () => {
    const res = await search({ filter: `correlationId eq "${bulk}"`, cursor: '', count: 0 });
    expect(res.json()).toMatchObject({ totalResults: BULK, itemsPerPage: 0, Resources: [] });
    expect(res.json().nextCursor).toBeUndefined();
  });

  it.each(['ascending', 'descending'])(
    'walks a nullable sort key %s with NULLs last, as index paging orders it',
    async (sortOrder) => {
      const body = { filter: `correlationId eq "${run}-sort"`, sortBy: 'message', sortOrder };
      const all = await search(body);
      const pages = await walk({ ...body, count: 2 });
      expect(pages.flatMap((p) => p.Resources.map((r: any) => r.id))).toEqual(ids(all));
      const messages = all.json().Resources.map((r: any) => r.message);
      expect(messages).toEqual(
        sortOrder === 'ascending'
          ? ['a', 'a', 'b', 'C', 'd', null, null]
          : ['d', 'C', 'b', 'a', 'a', null, null],
      );
    },
  );

  it('keeps going when records are added during a walk, without repeating any', async () => {
    const own = `${run}-grow`;
    await bulkRecords(t, 5, own);
    const first = await search({ filter: `correlationId eq "${own}"`, cursor: '', count: 3 });
    await bulkRecords(t, 4, own);
    const rest = await walk({ filter: `correlationId eq "${own}"`, count: 3 });
    expect(rest[0].totalResults).toBe(9);
    const second = await search({
      filter: `correlationId eq "${own}"`,
      cursor: first.json().nextCursor,
      count: 100,
    });
    expect(second.json().totalResults).toBe(9);
    const walked = [...ids(first), ...ids(second)];
    expect(new Set(walked).size).toBe(walked.length);
    // The later batch has a later `created`, so it comes after the first batch's rows.
    expect(walked).toHaveLength(9);
  });

  describe('refuses a cursor it did not issue for this query', () => {
    let cursor: string;
    const filter = () => `correlationId eq "${bulk}"`;
    beforeAll(async () => {
      cursor = (await search({ filter: filter(), cursor: '', count: 10 })).json().nextCursor;
    });

    const expectCursorError = (res: TestResponse, scimType: string) => {
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ status: '400', scimType });
    };

    it('a tampered cursor', async () => {
      const [body, mac] = cursor.split('.');
      const payload = JSON.parse(Buffer.from(body, 'base64url').toString());
      const forged = Buffer.from(
        JSON.stringify({ ...payload, i: '00000000-0000-4000-8000-000000000000' }),
      ).toString('base64url');
      expectCursorError(
        await search({ filter: filter(), cursor: `${forged}.${mac}` }),
        'invalidCursor',
      );
      const flipped = cursor.slice(0, -2) + (cursor.endsWith('AA') ? 'BB' : 'AA');
      expectCursorError(await search({ filter: filter(), cursor: flipped }), 'invalidCursor');
      expectCursorError(await search({ filter: filter(), cursor: 'garbage' }), 'invalidCursor');
    });

    it('a cursor of another query', async () => {
      const other = await search({ filter: `correlationId eq "${run}-sort"`, cursor });
      expectCursorError(other, 'invalidCursor');
      expect(other.json().detail).toMatch(/another query/);
      const reversed = await search({ filter: filter(), sortOrder: 'descending', cursor });
      expectCursorError(reversed, 'invalidCursor');
    });

    it('a cursor of another tenant', async () => {
      const tenantB = t.tenants[1];
      const res = await search({ filter: filter(), cursor }, tenantB, await t.adminToken(tenantB));
      expectCursorError(res, 'invalidCursor');
    });

    it('an expired cursor', async () => {
      const [{ secret }] = await t.db.query('SELECT secret FROM search_cursor_keys WHERE id = 1');
      const old = sealCursor(
        secret,
        { tenant: t.tenant, resource: 'AuditRecords', filter: filter(), sortOrder: 'ASC' },
        { key: '2020-01-01 00:00:00+00', id: '00000000-0000-4000-8000-000000000000' },
        Math.floor(Date.now() / 1000) - 2 * 86_400,
      );
      expectCursorError(await search({ filter: filter(), cursor: old }), 'expiredCursor');
    });

    it('a cursor together with a startIndex beyond 1', async () => {
      const res = await search({ filter: filter(), cursor, startIndex: 2 });
      expect(res.statusCode).toBe(400);
      expect(res.json().scimType).toBe('invalidValue');
      expect((await search({ filter: filter(), cursor, startIndex: 0 })).statusCode).toBe(200);
    });
  });
});

describe('cursor searches on a small connection pool', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ DB_POOL_SIZE: '2' });
    await bulkRecords(t, 30, 'pool');
  });
  afterAll(() => t.close());

  it('never waits on the pool for the cursor key while holding a connection', async () => {
    const token = await t.adminToken();
    const searches = Array.from({ length: 8 }, () =>
      t.request({
        method: 'POST',
        url: `/${t.tenant}/v2/AuditRecords/.search`,
        token,
        payload: {
          schemas: [SEARCH_REQUEST],
          filter: 'correlationId eq pool',
          cursor: '',
          count: 5,
        },
      }),
    );
    const results = await Promise.all(searches);
    expect(results.map((r) => r.statusCode)).toEqual(Array(8).fill(200));
    expect(results.every((r) => typeof r.json().nextCursor === 'string')).toBe(true);
  }, 30_000);
});
