import { execFile } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { leafHash, verifyInclusion } from '../../src/audit/merkle';
import { createUser } from '../factories/user';
import { IMPORT_TEST_ENV, postImport, waitForImport } from '../utils/imports';
import { useTestApp } from '../utils/suite';
import { TEST_DB_ENV, TEST_DB_SUPERUSER_ENV } from '../utils/test-database';

const RECORD_KEYS = `k2:${randomBytes(32).toString('base64')},k1:${randomBytes(32).toString('base64')}`;
const SEALING_KEY = generateKeyPairSync('ed25519')
  .privateKey.export({ type: 'pkcs8', format: 'pem' })
  .toString();

type Report = {
  verified: boolean;
  checkedRecords: number;
  checkedSeals: number;
  unsealedRecords: number;
  firstFailure: { recordId?: string; sealId?: string; reason: string } | null;
};

/**
 * docs/audit-integrity.md: records carry a MAC, seals chain them per tenant in commit order,
 * and `.verify` (and `npm run audit:verify`) names the first record or seal that was
 * changed, removed, inserted or reordered behind the service's back. Tampering runs as the
 * test database's superuser with triggers off (`session_replication_role = replica`), each
 * scenario on a tenant of its own.
 */
describe('audit trail integrity (API.md §11)', () => {
  const s = useTestApp({
    tenants: 9,
    env: {
      ...IMPORT_TEST_ENV,
      AUDIT_RECORD_KEYS: RECORD_KEYS,
      AUDIT_SEALING_KEY: SEALING_KEY,
      AUDIT_SEAL_INTERVAL_SECONDS: '1',
    },
  });

  async function verify(tenant: string, query = ''): Promise<Report> {
    const res = await s.t.request({
      method: 'GET',
      url: `/${tenant}/v2/AuditRecords/.verify${query}`,
      token: await s.t.adminToken(tenant),
    });
    expect(res.statusCode).toBe(200);
    return res.json();
  }

  /** Polls `.verify` until every record is sealed (the sealer runs every second here). */
  async function sealed(tenant: string): Promise<Report> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const report = await verify(tenant);
      if (report.unsealedRecords === 0 && report.checkedSeals > 0) return report;
      if (!report.verified || Date.now() > deadline) {
        throw new Error(`not sealed: ${JSON.stringify(report)}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** The test database, as the server's superuser (the service's role cannot tamper). */
  function superuserUrl(): string {
    return process.env[TEST_DB_SUPERUSER_ENV]!;
  }

  /** Runs statements as the superuser with every trigger off, committed. */
  async function tamper(statements: [string, unknown[]?][]): Promise<void> {
    const client = new Client({ connectionString: superuserUrl() });
    await client.connect();
    try {
      await client.query('BEGIN');
      await client.query('SET LOCAL session_replication_role = replica');
      for (const [sql, params] of statements) await client.query(sql, params ?? []);
      await client.query('COMMIT');
    } finally {
      await client.end();
    }
  }

  async function recordIds(tenant: string): Promise<string[]> {
    const rows: { id: string }[] = await s.t.db.query(
      `SELECT id FROM audit_records WHERE tenant_id = $1 AND action_name = 'createUser'
       ORDER BY xact_id, id`,
      [tenant],
    );
    return rows.map((r) => r.id);
  }

  /** A tenant with three created users, all sealed. */
  async function sealedTenant(index: number): Promise<{ tenant: string; ids: string[] }> {
    const tenant = s.t.tenants[index];
    for (let i = 0; i < 3; i++) await createUser(s.t, {}, { tenant });
    await sealed(tenant);
    return { tenant, ids: await recordIds(tenant) };
  }

  function runCli(args: string[]): Promise<{ code: number; stdout: string }> {
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        ['-r', 'ts-node/register/transpile-only', 'scripts/audit-verify.ts', ...args],
        { env: { ...process.env, TS_NODE_TRANSPILE_ONLY: 'true' } },
        (error, stdout) => resolve({ code: error ? Number(error.code ?? 2) : 0, stdout }),
      );
    });
  }

  describe('a clean trail', () => {
    it('verifies under concurrent writes and an import, sealed in commit order', async () => {
      const tenant = s.t.tenant;
      await Promise.all(Array.from({ length: 20 }, () => createUser(s.t)));
      const res = await postImport(s.t, 'Users', {
        users: Array.from({ length: 7 }, (_, i) => ({ externalId: `imp-${i}-${Date.now()}` })),
      });
      expect(res.statusCode).toBe(201);
      await Promise.all([
        waitForImport(s.t, res.headers.location as string),
        ...Array.from({ length: 10 }, () => createUser(s.t)),
      ]);
      const report = await sealed(tenant);
      expect(report).toMatchObject({ verified: true, unsealedRecords: 0, firstFailure: null });
      expect(report.checkedRecords).toBeGreaterThanOrEqual(38);
    });

    it('gives a sealed record its seal and an inclusion proof that checks against the root', async () => {
      const [id] = await recordIds(s.t.tenant);
      const res = await s.send({ method: 'GET', url: `/${s.t.tenant}/v2/AuditRecords/${id}` });
      expect(res.statusCode).toBe(200);
      const record = res.json();
      expect(record.seal).toMatchObject({ id: expect.any(String), root: expect.any(String) });
      const { index, count, proof, root } = record.seal;
      expect(verifyInclusion(leafHash(record.hash), index, count, proof, root)).toBe(true);
    });

    it('publishes the sealing keys without a token', async () => {
      const res = await s.t.request({
        method: 'GET',
        url: `/${s.t.tenant}/v2/AuditRecords/.sealing-keys`,
      });
      expect(res.statusCode).toBe(200);
      expect(res.json().keys).toEqual([
        expect.objectContaining({ kty: 'OKP', crv: 'Ed25519', kid: expect.any(String) }),
      ]);
      expect(JSON.stringify(res.json())).not.toContain('"d"');
    });

    it('refuses a malformed from/to in the SCIM error format', async () => {
      const res = await s.send({
        method: 'GET',
        url: `/${s.t.tenant}/v2/AuditRecords/.verify?from=yesterday`,
      });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ scimType: 'invalidValue' });
    });

    it('needs the audit:read scope', async () => {
      const res = await s.t.request({
        method: 'GET',
        url: `/${s.t.tenant}/v2/AuditRecords/.verify`,
        token: await s.t.adminToken(s.t.tenant, 'users:read'),
      });
      expect(res.statusCode).toBe(403);
    });
  });

  describe('tampering, each found and named', () => {
    it('one byte changed: the record', async () => {
      const { tenant, ids } = await sealedTenant(1);
      await tamper([[`UPDATE audit_records SET message = 'x' WHERE id = $1`, [ids[1]]]]);
      const report = await verify(tenant);
      expect(report.verified).toBe(false);
      expect(report.firstFailure).toMatchObject({ recordId: ids[1] });
      expect(report.firstFailure!.reason).toMatch(/hash/);
    });

    it('an edit re-hashed with the database function: the record (its MAC)', async () => {
      const { tenant, ids } = await sealedTenant(2);
      await tamper([
        [`UPDATE audit_records SET target_user_id = 'someone-else' WHERE id = $1`, [ids[0]]],
        [`UPDATE audit_records r SET hash = audit_record_hash(r) WHERE id = $1`, [ids[0]]],
      ]);
      const report = await verify(tenant);
      expect(report.firstFailure).toMatchObject({ recordId: ids[0] });
      expect(report.firstFailure!.reason).toMatch(/MAC/);
    });

    it('a deleted record: its seal', async () => {
      const { tenant, ids } = await sealedTenant(3);
      const [{ seal_id }] = await s.t.db.query(
        `SELECT s.id AS seal_id FROM audit_records r JOIN audit_seals s ON s.tenant_id = r.tenant_id
           AND (r.xact_id, r.id) BETWEEN (s.first_xact_id, s.first_record_id) AND (s.last_xact_id, s.last_record_id)
         WHERE r.id = $1`,
        [ids[1]],
      );
      await tamper([[`DELETE FROM audit_records WHERE id = $1`, [ids[1]]]]);
      const report = await verify(tenant);
      expect(report.verified).toBe(false);
      expect(report.firstFailure).toMatchObject({ sealId: seal_id });
    });

    it('a forged record inserted as the service would, with SQL: the record', async () => {
      const { tenant, ids } = await sealedTenant(4);
      const forged = '01900000-0000-7000-8000-000000000001';
      // A normal insert: the triggers stamp and hash it; only the record key is missing.
      await s.t.db.query(
        `INSERT INTO audit_records (id, tenant_id, request_id, service_id, action_name, result,
           action_parameters, created, hash)
         SELECT $1, tenant_id, request_id, service_id, 'deleteUser', result, action_parameters, now(), ''
         FROM audit_records WHERE id = $2`,
        [forged, ids[0]],
      );
      const report = await verify(tenant);
      expect(report.firstFailure).toMatchObject({ recordId: forged });
      expect(report.firstFailure!.reason).toMatch(/MAC/);
    });

    it('two records reordered (contents swapped): one of the two', async () => {
      const { tenant, ids } = await sealedTenant(5);
      const columns = `correlation_id, request_id, coi, service_id, service_host, action_name,
        action_parameters, result, message, return_value, acting_user_id, acting_user_immutable_id,
        acting_session_id, acting_auth_method, target_user_id, target_user_immutable_id, created, hash, mac, mac_key_id`;
      const set = columns
        .split(',')
        .map((c) => `${c.trim()} = o.${c.trim()}`)
        .join(', ');
      await tamper([
        [
          `CREATE TEMP TABLE swap ON COMMIT DROP AS SELECT * FROM audit_records WHERE id IN ($1, $2)`,
          [ids[0], ids[2]],
        ],
        [
          `UPDATE audit_records r SET ${set} FROM swap o WHERE r.id = $1 AND o.id = $2`,
          [ids[0], ids[2]],
        ],
        [
          `UPDATE audit_records r SET ${set} FROM swap o WHERE r.id = $1 AND o.id = $2`,
          [ids[2], ids[0]],
        ],
      ]);
      const report = await verify(tenant);
      expect(report.verified).toBe(false);
      expect([ids[0], ids[2]]).toContain(report.firstFailure!.recordId);
    });

    it('a seal changed: the seal', async () => {
      const { tenant } = await sealedTenant(6);
      const [seal] = await s.t.db.query(
        `SELECT id FROM audit_seals WHERE tenant_id = $1 ORDER BY seq DESC LIMIT 1`,
        [tenant],
      );
      await tamper([
        [`UPDATE audit_seals SET record_count = record_count WHERE id = $1`, [seal.id]],
      ]);
      await tamper([
        [`UPDATE audit_seals SET sealed = sealed - interval '1 second' WHERE id = $1`, [seal.id]],
      ]);
      const report = await verify(tenant);
      expect(report.firstFailure).toMatchObject({ sealId: seal.id });
      expect(report.firstFailure!.reason).toMatch(/signature/);
    });

    it('a seal removed: the seal after it; and audit:verify says so offline', async () => {
      const tenant = s.t.tenants[7];
      await createUser(s.t, {}, { tenant });
      await sealed(tenant);
      await createUser(s.t, {}, { tenant });
      await sealed(tenant);
      const seals: { id: string; seq: string }[] = await s.t.db.query(
        `SELECT id, seq FROM audit_seals WHERE tenant_id = $1 ORDER BY seq`,
        [tenant],
      );
      expect(seals.length).toBeGreaterThanOrEqual(2);

      const dir = mkdtempSync(join(tmpdir(), 'audit-verify-'));
      const jwks = join(dir, 'jwks.json');
      const keysRes = await s.t.request({
        method: 'GET',
        url: `/${tenant}/v2/AuditRecords/.sealing-keys`,
      });
      writeFileSync(jwks, keysRes.body);
      const offline = (t: string) => [
        '--tenant',
        t,
        '--database-url',
        process.env[TEST_DB_ENV]!,
        '--sealing-keys',
        jwks,
        '--record-keys',
        RECORD_KEYS,
      ];
      const clean = await runCli(offline(tenant));
      expect(clean.code).toBe(0);
      expect(JSON.parse(clean.stdout)).toMatchObject({ verified: true });

      await tamper([[`DELETE FROM audit_seals WHERE id = $1`, [seals[0].id]]]);
      const report = await verify(tenant);
      expect(report.firstFailure).toMatchObject({ sealId: seals[1].id });

      const tampered = await runCli(offline(tenant));
      expect(tampered.code).toBe(1);
      expect(JSON.parse(tampered.stdout).firstFailure).toMatchObject({ sealId: seals[1].id });
      const cannot = await runCli(['--tenant', tenant]);
      expect(cannot.code).toBe(2);
    }, 150_000);

    it('Events/.search reports tainted records through the same verifier', async () => {
      const tenant = s.t.tenants[8];
      const created = await createUser(s.t, {}, { tenant, correlationId: 'taint-me' });
      const [row] = await s.t.db.query(
        `SELECT id, coi FROM audit_records WHERE tenant_id = $1 AND target_user_immutable_id = $2`,
        [tenant, created.id],
      );
      const search = async () =>
        (
          await s.t.request({
            method: 'POST',
            url: `/${tenant}/v2/Events/.search`,
            token: await s.t.adminToken(tenant),
            payload: {
              schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'],
              filter: `id eq "${row.id}"`,
            },
          })
        ).json();
      expect((await search()).tainted).toBe(false);
      await tamper([
        [`UPDATE audit_records SET message = 'edited' WHERE id = $1`, [row.id]],
        [`UPDATE audit_records r SET hash = audit_record_hash(r) WHERE id = $1`, [row.id]],
      ]);
      expect((await search()).tainted).toBe(true);
    });
  });
});
