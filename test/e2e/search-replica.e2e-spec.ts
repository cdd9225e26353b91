import { Client } from 'pg';
import { SearchDatabase } from '../../src/database/search-database';
import { createUser } from '../factories/user';
import { createTestApp, TestApp } from '../utils/test-app';
import { TEST_DB_ENV, testReplicaUrl } from '../utils/test-database';

/**
 * SEARCH_DATABASE_URL: searches read a streaming replica while its replay lag is within
 * SEARCH_REPLICA_MAX_LAG_MS, DATABASE_URL otherwise; the records of reads are always written
 * to DATABASE_URL. The replica cases run when scripts/replica-check.sh starts a real pair
 * (TEST_REPLICA_URL); the fallbacks run everywhere.
 */
describe('searches on a read replica (SEARCH_DATABASE_URL)', () => {
  const replica = testReplicaUrl();
  const withReplica = replica ? it : it.skip;

  async function searchUsers(t: TestApp, token: string, userName: string) {
    const res = await t.request({
      method: 'GET',
      url: `/${t.tenant}/v2/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`,
      token,
    });
    expect(res.statusCode).toBe(200);
    return res.json();
  }

  async function waitFor(check: () => boolean): Promise<void> {
    for (let i = 0; i < 100 && !check(); i++) await new Promise((r) => setTimeout(r, 50));
    expect(check()).toBe(true);
  }

  it('reads DATABASE_URL when SEARCH_DATABASE_URL is not a replica', async () => {
    const t = await createTestApp({ SEARCH_DATABASE_URL: process.env[TEST_DB_ENV]! });
    try {
      const search = t.app.get(SearchDatabase);
      await waitFor(() => search.replicaStatus !== undefined);
      expect(search.replicaStatus).toMatch(/is not a replica/);
      expect(search.readsFrom).toBe('primary');
      const token = await t.adminToken();
      const created = await createUser(t);
      expect((await searchUsers(t, token, created.userName)).totalResults).toBe(1);
    } finally {
      await t.close();
    }
  });

  it('reads DATABASE_URL while the replica does not answer', async () => {
    const t = await createTestApp({ SEARCH_DATABASE_URL: 'postgres://nobody@127.0.0.1:9/none' });
    try {
      const search = t.app.get(SearchDatabase);
      await waitFor(() => search.replicaStatus !== undefined);
      expect(search.replicaStatus).toMatch(/replica unreachable/);
      expect(search.readsFrom).toBe('primary');
      const token = await t.adminToken();
      const created = await createUser(t);
      expect((await searchUsers(t, token, created.userName)).totalResults).toBe(1);
    } finally {
      await t.close();
    }
  });

  withReplica('searches the replica and writes the records of reads to DATABASE_URL', async () => {
    const t = await createTestApp({ AUDIT_LOG_ACCESS: 'true' });
    const standby = new Client({ connectionString: replica });
    await standby.connect();
    try {
      expect(t.app.get(SearchDatabase).readsFrom).toBe('replica');
      const [{ recovery }] = (await standby.query('SELECT pg_is_in_recovery() AS recovery')).rows;
      expect(recovery).toBe(true);
      const token = await t.adminToken();
      const created = await createUser(t);
      // The replica-check script runs the primary with synchronous_commit = remote_apply, so
      // a committed write is visible on the replica before the write is answered.
      expect((await searchUsers(t, token, created.userName)).Resources[0].id).toBe(created.id);
      const backends = await standby.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'management-api search replica'`,
      );
      expect(backends.rows[0].n).toBeGreaterThan(0);
      const audit = await t.request({
        method: 'POST',
        url: `/${t.tenant}/v2/AuditRecords/.search`,
        token,
        payload: {
          schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'],
          filter: `action.actionName eq "searchAuditRecords"`,
          count: 0,
        },
      });
      expect(audit.statusCode).toBe(200);
      // The read was recorded, on the primary (the replica refuses writes).
      let recorded = 0;
      for (let i = 0; i < 50 && recorded === 0; i++) {
        await new Promise((r) => setTimeout(r, 50));
        const rows = await t.db.query(
          `SELECT count(*)::int AS n FROM audit_records WHERE tenant_id = $1 AND action_name = 'searchAuditRecords'`,
          [t.tenant],
        );
        recorded = rows[0].n;
      }
      expect(recorded).toBeGreaterThan(0);
    } finally {
      await standby.end();
      await t.close();
    }
  });
});
