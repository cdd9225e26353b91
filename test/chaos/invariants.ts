import { Client } from 'pg';
import type { Attempt, Op } from './writers';

/**
 * What must hold after the storm, checked in SQL as a superuser (row-level security would
 * otherwise hide rows). Each check returns the violations it found, named so a failure
 * says what broke.
 */
export interface Check {
  name: string;
  /** How many things were checked, for the printed counts. */
  checked: number;
  violations: string[];
  /** What is allowed but worth reading (in-doubt commits). */
  notes?: string[];
}

/** The success records an acknowledged write leaves under its correlation id, by action. */
const SUCCESS_RECORDS: Record<Op, Record<string, number>> = {
  createUser: { createUser: 1 },
  patchUser: { updateUser: 1 },
  register: { createUser: 1, createAdapterConfiguration: 1, createUPAuthenticator: 1 },
  import: { importUsers: 1 },
  ciba: { createCibaRequest: 1 },
};

export async function checkInvariants(
  db: Client,
  tenant: string,
  attempts: Attempt[],
  promised: (a: Attempt) => boolean,
): Promise<Check[]> {
  const q = async <T = Record<string, any>>(text: string, params: unknown[] = []) =>
    (await db.query(text, params)).rows as T[];
  // Records by correlation id: every write the run sent has its own.
  const rows = await q<{
    correlation_id: string;
    action_name: string;
    result: string;
    request_id: string;
    n: number;
  }>(
    `SELECT correlation_id, action_name, result, request_id, count(*)::int AS n
       FROM audit_records
      WHERE tenant_id = $1 AND correlation_id IS NOT NULL AND (coi IS NULL OR action_name IN ('importUsers', 'createCibaRequest'))
        AND NOT (action_name = 'importUsers' AND coalesce(action_parameters->>'step', '') = 'end')
      GROUP BY 1, 2, 3, 4`,
    [tenant],
  );
  const byCorrelation = new Map<string, typeof rows>();
  for (const r of rows) {
    const list = byCorrelation.get(r.correlation_id) ?? [];
    list.push(r);
    byCorrelation.set(r.correlation_id, list);
  }

  const acked: Check = {
    name: 'acknowledged writes have their records',
    checked: 0,
    violations: [],
  };
  const refused: Check = {
    name: 'refused writes have one failure record',
    checked: 0,
    violations: [],
  };
  const unknown: Check = {
    name: 'unanswered writes left at most one outcome',
    checked: 0,
    violations: [],
  };
  let refusedUnpromised = 0;
  let refusedUnpromisedMissing = 0;
  const missing: Attempt[] = [];
  const inDoubt: Check = {
    name: 'refused writes that committed (COMMIT answer lost to a restart)',
    checked: 0,
    violations: [],
    notes: [],
  };
  for (const a of attempts) {
    const records = byCorrelation.get(a.correlationId) ?? [];
    const successes = records.filter((r) => r.result === 'RESPONSE_SUCCESS');
    const failures = records.filter((r) => r.result === 'RESPONSE_FAILURE');
    const count = (list: typeof rows, action: string) =>
      list.filter((r) => r.action_name === action).reduce((n, r) => n + r.n, 0);
    const expected = SUCCESS_RECORDS[a.op];
    if (a.status !== undefined && a.status >= 200 && a.status < 300) {
      acked.checked++;
      for (const [action, n] of Object.entries(expected)) {
        if (count(successes, action) !== n)
          acked.violations.push(
            `${a.correlationId} (${a.op}, ${a.status}): ${count(successes, action)} ${action} success records, expected ${n}`,
          );
      }
      if (successes.some((r) => r.request_id !== a.requestId))
        acked.violations.push(`${a.correlationId}: a success record under another request id`);
    } else if (a.status !== undefined) {
      refused.checked++;
      const mine = failures.filter((r) => r.request_id === a.requestId);
      const n = mine.reduce((s, r) => s + r.n, 0);
      if (successes.length > 0 && a.status === 503) {
        // A COMMIT the server carried out while the restart broke its answer: the service
        // cannot tell it from one that failed (docs/reliability.md, "Chaos").
        inDoubt.notes!.push(
          `${a.correlationId} (${a.op}, request ${a.requestId}): 503 but committed (${successes.map((r) => r.action_name).join(', ')}); failure records: ${failures.length}`,
        );
        inDoubt.checked++;
      } else if (successes.length > 0)
        refused.violations.push(
          `${a.correlationId} (${a.op}) answered ${a.status} but changed: ${successes.map((r) => r.action_name).join(', ')}`,
        );
      if (n > 1) refused.violations.push(`${a.correlationId} (${a.status}): ${n} failure records`);
      if (promised(a)) {
        if (n === 0) missing.push(a);
      } else {
        refusedUnpromised++;
        if (n === 0) refusedUnpromisedMissing++;
      }
    } else {
      unknown.checked++;
      for (const [action, n] of Object.entries(expected)) {
        const got = count(successes, action);
        if (got !== 0 && got !== n)
          unknown.violations.push(
            `${a.correlationId} (${a.op}, no answer): ${got} ${action} success records`,
          );
      }
      if (failures.reduce((s, r) => s + r.n, 0) > 1)
        unknown.violations.push(`${a.correlationId}: more than one failure record`);
    }
  }
  if (missing.length > 0) {
    // What the request did leave, wherever it is: the first clue when a record is missing.
    const left = await q<{ request_id: string; what: string }>(
      `SELECT request_id::text, string_agg(action_name || ' ' || result || ' coi=' || coalesce(coi, '-') || ' tenant=' || tenant_id, '; ') AS what
         FROM audit_records WHERE request_id = ANY($1::uuid[]) GROUP BY 1`,
      [missing.map((a) => a.requestId)],
    );
    const found = new Map(left.map((r) => [r.request_id, r.what]));
    for (const a of missing)
      refused.violations.push(
        `${a.correlationId} (${a.op}, ${a.status}, request ${a.requestId}): no RESPONSE_FAILURE record; records of its request id: ${found.get(a.requestId!) ?? 'none'}`,
      );
  }
  refused.name += ` (${refusedUnpromised} answered by a process killed before its backlog was seen empty, ${refusedUnpromisedMissing} of them without a record: dropped as documented)`;

  // API.md §1 and docs/reliability.md: an unavailable database is 503 with Retry-After.
  const unavailable: Check = {
    name: 'server errors are 503 with Retry-After',
    checked: 0,
    violations: [],
  };
  for (const a of attempts.filter((x) => x.status !== undefined && x.status >= 500)) {
    unavailable.checked++;
    if (a.status !== 503 || !a.retryAfter)
      unavailable.violations.push(
        `${a.correlationId} (${a.op}, request ${a.requestId}): ${a.status}, Retry-After ${a.retryAfter ?? 'none'}: ${a.detail}`,
      );
  }
  const checks = [unavailable, acked, refused, inDoubt, unknown];
  checks.push(await refMatches(q, tenant, attempts));
  checks.push(await noChangeWithoutRecord(q, tenant));
  checks.push(await noRecordWithoutChange(q, tenant));
  checks.push(await noDuplicates(q, tenant));
  checks.push(await importsComplete(q, tenant, attempts));
  return checks;
}

type Query = <T = Record<string, any>>(text: string, params?: unknown[]) => Promise<T[]>;

/** The ids an acknowledged write answered with exist. */
async function refMatches(q: Query, tenant: string, attempts: Attempt[]): Promise<Check> {
  const check: Check = { name: 'acknowledged ids exist', checked: 0, violations: [] };
  const ok = attempts.filter((a) => a.status !== undefined && a.status < 300 && a.ref);
  const tables: Partial<Record<Op, string>> = {
    createUser: 'SELECT id::text AS id FROM users WHERE tenant_id = $1',
    register: 'SELECT client_id AS id FROM clients WHERE tenant_id = $1',
    import: 'SELECT id FROM import_jobs WHERE tenant_id = $1',
    ciba: 'SELECT id FROM ciba_requests WHERE tenant_id = $1',
  };
  for (const [op, sql] of Object.entries(tables)) {
    const ids = new Set((await q<{ id: string }>(sql, [tenant])).map((r) => r.id));
    for (const a of ok.filter((x) => x.op === op)) {
      check.checked++;
      if (!ids.has(a.ref!))
        check.violations.push(`${a.correlationId} (${op}): ${a.ref} does not exist`);
    }
  }
  return check;
}

/** Every user, client, CIBA request and import that exists has its creation record. */
async function noChangeWithoutRecord(q: Query, tenant: string): Promise<Check> {
  const check: Check = { name: 'no change without its record', checked: 0, violations: [] };
  const cases: [string, string, string][] = [
    [
      'user',
      'SELECT id::text AS id FROM users WHERE tenant_id = $1',
      `SELECT target_user_immutable_id AS id FROM audit_records WHERE tenant_id = $1 AND action_name = 'createUser' AND result = 'RESPONSE_SUCCESS'`,
    ],
    [
      'client',
      'SELECT client_id AS id FROM clients WHERE tenant_id = $1',
      `SELECT action_parameters->>'clientId' AS id FROM audit_records WHERE tenant_id = $1 AND action_name = 'createAdapterConfiguration' AND result = 'RESPONSE_SUCCESS'`,
    ],
    [
      'CIBA request',
      'SELECT id FROM ciba_requests WHERE tenant_id = $1',
      `SELECT coi AS id FROM audit_records WHERE tenant_id = $1 AND action_name = 'createCibaRequest' AND result = 'RESPONSE_SUCCESS'`,
    ],
    [
      'import',
      'SELECT id FROM import_jobs WHERE tenant_id = $1',
      `SELECT coi AS id FROM audit_records WHERE tenant_id = $1 AND action_name = 'importUsers' AND action_parameters->>'step' = 'start'`,
    ],
  ];
  for (const [what, things, records] of cases) {
    const recorded = new Set((await q<{ id: string }>(records, [tenant])).map((r) => r.id));
    for (const { id } of await q<{ id: string }>(things, [tenant])) {
      check.checked++;
      if (!recorded.has(id)) check.violations.push(`${what} ${id} has no creation record`);
    }
  }
  // A user changed more often than recorded: each update bumps the version once.
  const versions = await q<{ id: string; version: number; updates: number }>(
    `SELECT u.id::text AS id, u.version,
            (SELECT count(*)::int FROM audit_records r WHERE r.tenant_id = u.tenant_id
               AND r.action_name = 'updateUser' AND r.result = 'RESPONSE_SUCCESS'
               AND r.target_user_immutable_id = u.id::text) AS updates
       FROM users u WHERE u.tenant_id = $1 AND u.version > 1`,
    [tenant],
  );
  for (const v of versions) {
    if (v.version - 1 > v.updates)
      check.violations.push(`user ${v.id} at version ${v.version} has ${v.updates} update records`);
  }
  return check;
}

/** Every success record of a creation or update names something that exists. */
async function noRecordWithoutChange(q: Query, tenant: string): Promise<Check> {
  const check: Check = { name: 'no success record without its change', checked: 0, violations: [] };
  const cases: [string, string][] = [
    [
      'createUser/updateUser',
      `SELECT r.id, r.action_name, r.target_user_immutable_id AS ref FROM audit_records r
        WHERE r.tenant_id = $1 AND r.result = 'RESPONSE_SUCCESS' AND r.action_name IN ('createUser', 'updateUser')
          AND NOT EXISTS (SELECT 1 FROM users u WHERE u.id::text = r.target_user_immutable_id)`,
    ],
    [
      'createAdapterConfiguration',
      `SELECT r.id, r.action_name, r.action_parameters->>'clientId' AS ref FROM audit_records r
        WHERE r.tenant_id = $1 AND r.result = 'RESPONSE_SUCCESS' AND r.action_name = 'createAdapterConfiguration'
          AND NOT EXISTS (SELECT 1 FROM clients c WHERE c.tenant_id = r.tenant_id AND c.client_id = r.action_parameters->>'clientId')`,
    ],
    [
      'createCibaRequest',
      `SELECT r.id, r.action_name, r.coi AS ref FROM audit_records r
        WHERE r.tenant_id = $1 AND r.result = 'RESPONSE_SUCCESS' AND r.action_name = 'createCibaRequest'
          AND NOT EXISTS (SELECT 1 FROM ciba_requests c WHERE c.id = r.coi)`,
    ],
    [
      'importUsers',
      `SELECT r.id, r.action_name, r.coi AS ref FROM audit_records r
        WHERE r.tenant_id = $1 AND r.action_name = 'importUsers' AND r.result = 'RESPONSE_SUCCESS'
          AND NOT EXISTS (SELECT 1 FROM import_jobs j WHERE j.id = r.coi)`,
    ],
  ];
  const [{ n }] = await q<{ n: number }>(
    `SELECT count(*)::int AS n FROM audit_records WHERE tenant_id = $1 AND result = 'RESPONSE_SUCCESS'`,
    [tenant],
  );
  check.checked = n;
  for (const [what, sql] of cases) {
    for (const r of await q(sql, [tenant]))
      check.violations.push(`${what} record ${r.id}: ${r.ref} does not exist`);
  }
  return check;
}

/** The same outcome is never recorded twice: not by a retried job, not by a backlog replay. */
async function noDuplicates(q: Query, tenant: string): Promise<Check> {
  const check: Check = { name: 'no duplicate records', checked: 0, violations: [] };
  const groups: [string, string][] = [
    [
      'user creation',
      `SELECT target_user_immutable_id AS k, count(*)::int AS n FROM audit_records
        WHERE tenant_id = $1 AND action_name = 'createUser' AND result = 'RESPONSE_SUCCESS' GROUP BY 1`,
    ],
    [
      'import item',
      `SELECT coi || '#' || coalesce(action_parameters->>'index', target_user_immutable_id) AS k, count(*)::int AS n FROM audit_records
        WHERE tenant_id = $1 AND coi IS NOT NULL AND action_name = 'createUser' GROUP BY 1`,
    ],
    [
      'import step',
      `SELECT coi || '#' || (action_parameters->>'step') AS k, count(*)::int AS n FROM audit_records
        WHERE tenant_id = $1 AND action_name = 'importUsers' AND result = 'RESPONSE_SUCCESS' GROUP BY 1`,
    ],
    [
      'CIBA request',
      `SELECT coi AS k, count(*)::int AS n FROM audit_records
        WHERE tenant_id = $1 AND action_name = 'createCibaRequest' AND result = 'RESPONSE_SUCCESS' GROUP BY 1`,
    ],
    [
      'request outcome',
      `SELECT request_id || ' ' || action_name || ' ' || result AS k, count(*)::int AS n FROM audit_records
        WHERE tenant_id = $1 AND coi IS NULL GROUP BY 1`,
    ],
  ];
  for (const [what, sql] of groups) {
    for (const g of await q<{ k: string; n: number }>(sql, [tenant])) {
      check.checked++;
      if (g.n > 1) check.violations.push(`${what} ${g.k}: ${g.n} records`);
    }
  }
  return check;
}

/** Every import ended once, every item processed once, counts agreeing everywhere. */
async function importsComplete(q: Query, tenant: string, attempts: Attempt[]): Promise<Check> {
  const check: Check = { name: 'imports complete exactly once', checked: 0, violations: [] };
  const jobs = await q(
    `SELECT j.id, j.status, j.import_size, j.next_index, j.nb_imported, j.nb_failed,
            (SELECT count(*)::int FROM audit_records r WHERE r.tenant_id = j.tenant_id AND r.coi = j.id
               AND r.action_name = 'createUser') AS items,
            (SELECT count(*)::int FROM audit_records r WHERE r.tenant_id = j.tenant_id AND r.coi = j.id
               AND r.action_name = 'createUser' AND r.result = 'RESPONSE_SUCCESS') AS created,
            (SELECT count(*)::int FROM audit_records r WHERE r.tenant_id = j.tenant_id AND r.coi = j.id
               AND r.action_name = 'importUsers' AND r.action_parameters->>'step' = 'end') AS ends,
            (SELECT min(r.action_parameters->>'nbImported') FROM audit_records r WHERE r.tenant_id = j.tenant_id
               AND r.coi = j.id AND r.action_name = 'importUsers' AND r.action_parameters->>'step' = 'end') AS end_imported,
            (SELECT count(*)::int FROM import_chunks c WHERE c.job_id = j.id) AS chunks
       FROM import_jobs j WHERE j.tenant_id = $1`,
    [tenant],
  );
  const sizes = new Map(
    attempts.filter((a) => a.op === 'import' && a.ref).map((a) => [a.ref!, a.items]),
  );
  for (const j of jobs) {
    check.checked++;
    const problems: string[] = [];
    if (j.status !== 'completed') problems.push(`status ${j.status}`);
    if (j.next_index !== j.import_size)
      problems.push(`next_index ${j.next_index} of ${j.import_size}`);
    if (j.nb_imported + j.nb_failed !== j.import_size)
      problems.push('nbImported + nbFailed != importSize');
    if (j.items !== j.import_size)
      problems.push(`${j.items} item records for ${j.import_size} items`);
    if (j.created !== j.nb_imported)
      problems.push(`${j.created} created for nbImported ${j.nb_imported}`);
    if (j.ends !== 1) problems.push(`${j.ends} end records`);
    else if (Number(j.end_imported) !== j.nb_imported)
      problems.push(`end record says ${j.end_imported}`);
    if (j.chunks !== 0) problems.push(`${j.chunks} chunks left`);
    const sent = sizes.get(j.id);
    if (sent !== undefined && sent !== j.import_size) problems.push(`sent ${sent} items`);
    if (problems.length) check.violations.push(`import ${j.id}: ${problems.join(', ')}`);
  }
  return check;
}
