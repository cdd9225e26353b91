/**
 * Verifies one tenant's audit trail (docs/audit-integrity.md). Exit code 0: clean;
 * 1: tampered (the first bad record or seal is named); 2: could not check.
 *
 *   npm run audit:verify -- --tenant t --url https://idp.example.com --client-id ID --client-secret S
 *   npm run audit:verify -- --tenant t --database-url postgres://... --sealing-keys jwks.json
 *       [--record-keys k1:base64,k0:base64 | --record-keys-file FILE] [--from ISO] [--to ISO]
 *
 * With --url the service checks (`GET /{tenant}/v2/AuditRecords/.verify`). With
 * --database-url the check runs here, reading the tables page by page, trusting only the
 * public sealing keys given (a JWKS file or URL, as `.sealing-keys` publishes it) and, when
 * given, the record keys (without them, record MACs are not checked: say so in the output).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Pool } from 'pg';
import { TENANT_SETTING } from '../src/database/tenant-scope';
import { sealingKeysFromJwks } from '../src/audit/audit-seal';
import { pgTrailDatabase, sqlTrailSource } from '../src/audit/audit-trail-source';
import { VerifyReport, verifyTrail } from '../src/audit/audit-verifier';
import { parseRecordKeys } from '../src/audit/record-integrity';

class CannotCheck extends Error {}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      tenant: { type: 'string' },
      url: { type: 'string' },
      'client-id': { type: 'string' },
      'client-secret': { type: 'string' },
      'database-url': { type: 'string' },
      'sealing-keys': { type: 'string' },
      'record-keys': { type: 'string' },
      'record-keys-file': { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
    },
  });
  const tenant = values.tenant;
  if (!tenant) throw new CannotCheck('--tenant is required');
  let report: VerifyReport;
  if (values['database-url']) {
    report = await offline(tenant, values);
  } else if (values.url) {
    report = await online(tenant, values.url, values['client-id'], values['client-secret'], values);
  } else {
    throw new CannotCheck('give --url (with --client-id and --client-secret) or --database-url');
  }
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  return report.verified ? 0 : 1;
}

async function online(
  tenant: string,
  base: string,
  clientId: string | undefined,
  secret: string | undefined,
  o: { from?: string; to?: string },
): Promise<VerifyReport> {
  if (!clientId || !secret) throw new CannotCheck('--url needs --client-id and --client-secret');
  const root = base.replace(/\/+$/, '');
  const basic = Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`);
  const token = await fetch(`${root}/${encodeURIComponent(tenant)}/authn/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${basic.toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'audit:read' }),
  });
  if (!token.ok) throw new CannotCheck(`the token endpoint answered ${token.status}`);
  const { access_token } = (await token.json()) as { access_token: string };
  const query = new URLSearchParams();
  if (o.from) query.set('from', o.from);
  if (o.to) query.set('to', o.to);
  const res = await fetch(
    `${root}/${encodeURIComponent(tenant)}/v2/AuditRecords/.verify?${query.toString()}`,
    { headers: { authorization: `Bearer ${access_token}` } },
  );
  if (!res.ok) throw new CannotCheck(`.verify answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as VerifyReport;
}

async function offline(
  tenant: string,
  o: Record<string, string | undefined>,
): Promise<VerifyReport> {
  const where = o['sealing-keys'];
  if (!where) throw new CannotCheck('--database-url needs --sealing-keys (a JWKS file or URL)');
  const jwks: unknown = /^https?:\/\//.test(where)
    ? await (await fetch(where)).json()
    : JSON.parse(readFileSync(where, 'utf8'));
  const sealingKeys = await sealingKeysFromJwks(jwks as { keys: [] });
  if (sealingKeys.size === 0) throw new CannotCheck('no Ed25519 key in the sealing keys');
  const keysText =
    o['record-keys'] ??
    (o['record-keys-file'] ? readFileSync(o['record-keys-file'], 'utf8') : undefined);
  const recordKeys = keysText !== undefined ? parseRecordKeys(keysText) : undefined;
  if (keysText !== undefined && !recordKeys) throw new CannotCheck('the record keys are malformed');
  // Two connections: a record's full row can be read while a page is still streaming.
  const pool = new Pool({ connectionString: o['database-url'], max: 2 });
  // Row-level security shows a role without BYPASSRLS only the rows of the session's tenant
  // (docs/audit-integrity.md); the client queues this before the first page is read.
  pool.on('connect', (client) => {
    void client.query(`SELECT set_config('${TENANT_SETTING}', $1, false)`, [tenant]);
  });
  try {
    const source = sqlTrailSource(pgTrailDatabase(pool), tenant);
    return await verifyTrail(
      tenant,
      source,
      { sealingKeys, recordKeys: recordKeys && new Map(recordKeys.map((k) => [k.id, k])) },
      { from: o.from && new Date(o.from).toISOString(), to: o.to && new Date(o.to).toISOString() },
    );
  } finally {
    await pool.end();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const message = error instanceof CannotCheck ? error.message : String(error);
    process.stderr.write(`audit:verify could not check: ${message}\n`);
    process.exit(2);
  },
);
