import { Injectable } from '@nestjs/common';
import { scimError } from '../common/api-error';
import { isUuid } from '../common/uuid';
import { SearchTable } from '../search/search.queries';
import { NewUser, UserRow } from './user-row';
import { Database } from '../database/database';
import { DatabaseError } from '../database/database-error';
import { PreparedAuditRecord, PreparedAuditRecords } from '../audit/audit-records.repository';
import { jsonbArrayParam } from '../database/json-array-param';
import { arrayLiteral } from '../database/array-literal';

const COLUMNS = `id, tenant_id, user_name, external_id, active, service_account, password_hash,
  resource, version, created, last_modified`;

export const USERS_TABLE: SearchTable = {
  from: 'users u',
  tenantColumn: 'u.tenant_id',
  columns: COLUMNS.split(',')
    .map((c) => `u.${c.trim()}`)
    .join(', '),
};

/** Users table access, through the CLS transaction's EntityManager (searches: SearchService). */
@Injectable()
export class UsersRepository {
  constructor(private readonly db: Database) {}

  async insert(tenant: string, user: NewUser): Promise<UserRow> {
    try {
      const rows = await this.db.query<UserRow>(
        `INSERT INTO users (id, tenant_id, user_name, external_id, active, service_account, password_hash, resource)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${COLUMNS}`,
        this.userParams(tenant, user),
      );
      return rows[0];
    } catch (error) {
      throw uniqueness(error, user.userName);
    }
  }

  /**
   * Inserts a user and its audit record in one statement (so one transaction and one round
   * trip): `created` is the user's `meta.created` and `meta.lastModified`, which the record
   * carries too, so the record's hash is known before the statement runs.
   */
  async insertWithRecord(
    tenant: string,
    user: NewUser,
    created: Date,
    record: PreparedAuditRecord,
  ): Promise<UserRow> {
    try {
      const rows = await this.db.query<UserRow>(
        `WITH u AS (
           INSERT INTO users (id, tenant_id, user_name, external_id, active, service_account,
             password_hash, resource, created, last_modified)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING ${COLUMNS}
         ), a AS (${record.insert(10)})
         SELECT * FROM u`,
        // As ISO 8601 text: pg's own Date formatting (local time zone) costs more per request.
        [...this.userParams(tenant, user), created.toISOString(), ...record.params],
        // The busiest write's one fixed text: planned once per connection.
        { prepare: true },
      );
      return rows[0];
    } catch (error) {
      throw uniqueness(error, user.userName);
    }
  }

  private userParams(tenant: string, user: NewUser): unknown[] {
    return [
      user.id,
      tenant,
      user.userName,
      user.externalId ?? null,
      user.active,
      user.serviceAccount ?? false,
      user.passwordHash ?? null,
      JSON.stringify(user.resource),
    ];
  }

  /**
   * Inserts many users in one statement (bulk import). A user whose userName is taken, in the
   * tenant or earlier in the same list, is skipped rather than failing the statement; the
   * returned set holds the ids that were inserted.
   */
  async insertMany(tenant: string, users: NewUser[]): Promise<Set<string>> {
    if (users.length === 0) return new Set();
    const rows = await this.db.query<{ id: string }>(
      `INSERT INTO users (id, tenant_id, user_name, external_id, active, service_account, password_hash, resource)
       SELECT x.id, $1, x.user_name, x.external_id, x.active, false, x.password_hash, x.resource
       FROM jsonb_to_recordset($2::jsonb) AS x(id uuid, user_name text, external_id text,
         active boolean, password_hash text, resource jsonb)
       ON CONFLICT DO NOTHING RETURNING id`,
      [
        tenant,
        JSON.stringify(
          users.map((u) => ({
            id: u.id,
            user_name: u.userName,
            external_id: u.externalId ?? null,
            active: u.active,
            password_hash: u.passwordHash ?? null,
            resource: u.resource,
          })),
        ),
      ],
    );
    return new Set(rows.map((r) => r.id));
  }

  /**
   * Inserts many users and every one of `records` in one statement (bulk import: the batch's
   * users and the records of all its items), so they are stored together or not at all. A
   * user whose userName is taken is skipped as in insertMany, but the records are written
   * regardless: a caller that is answered fewer users than it sent must not keep the
   * statement's work (the import rolls its savepoint back). The columns travel as arrays,
   * each value read by its own type; the resources, jsonb, as one JSON array.
   */
  async insertManyWithRecords(
    tenant: string,
    users: NewUser[],
    records: PreparedAuditRecords,
  ): Promise<number> {
    if (users.length === 0) return 0;
    const [{ inserted }] = await this.db.query<{ inserted: number }>(
      `WITH u AS (
         INSERT INTO users (id, tenant_id, user_name, external_id, active, service_account,
           password_hash, resource)
         SELECT x.id, $1, x.user_name, x.external_id, x.active, false, x.password_hash, x.resource
         FROM unnest($2::uuid[], $3::text[], $4::text[], $5::boolean[], $6::text[],
           ${jsonbArrayParam('$7')})
           AS x(id, user_name, external_id, active, password_hash, resource)
         ON CONFLICT DO NOTHING RETURNING 1
       ), a AS (${records.insert(8)})
       SELECT count(*)::int AS inserted FROM u`,
      [
        tenant,
        arrayLiteral(users.map((u) => u.id)),
        arrayLiteral(users.map((u) => u.userName)),
        arrayLiteral(users.map((u) => u.externalId ?? null)),
        users.map((u) => u.active),
        arrayLiteral(users.map((u) => u.passwordHash ?? null)),
        JSON.stringify(users.map((u) => u.resource)),
        ...records.params,
      ],
    );
    return inserted;
  }

  async findById(tenant: string, id: string): Promise<UserRow | undefined> {
    if (!isUuid(id)) return undefined;
    const rows = await this.db.query<UserRow>(
      `SELECT ${COLUMNS} FROM users WHERE tenant_id = $1 AND id = $2`,
      [tenant, id],
    );
    return rows[0];
  }

  async findByUserName(tenant: string, userName: string): Promise<UserRow | undefined> {
    const rows = await this.db.query<UserRow>(
      `SELECT ${COLUMNS} FROM users WHERE tenant_id = $1 AND lower(user_name) = lower($2)`,
      [tenant, userName],
    );
    return rows[0];
  }

  /** The users of the tenant with one of these ids or (case-insensitively) userNames. */
  async findRefs(
    tenant: string,
    ids: string[],
    userNames: string[],
  ): Promise<{ id: string; user_name: string }[]> {
    if (ids.length === 0 && userNames.length === 0) return [];
    return this.db.query(
      `SELECT id, user_name FROM users WHERE tenant_id = $1
         AND (id = ANY($2::uuid[]) OR lower(user_name) IN (SELECT lower(n) FROM unnest($3::text[]) n))`,
      [tenant, ids.filter(isUuid), userNames],
    );
  }

  /** Locks the row for the rest of the transaction (read-modify-write of PUT and PATCH). */
  async findForUpdate(tenant: string, id: string): Promise<UserRow | undefined> {
    if (!isUuid(id)) return undefined;
    const rows = await this.db.query<UserRow>(
      `SELECT ${COLUMNS} FROM users WHERE tenant_id = $1 AND id = $2 FOR UPDATE`,
      [tenant, id],
    );
    return rows[0];
  }

  async update(tenant: string, user: NewUser): Promise<UserRow> {
    try {
      const rows = await this.db.query<UserRow>(
        `UPDATE users SET user_name = $3, external_id = $4, active = $5, password_hash = $6,
           resource = $7, version = version + 1, last_modified = date_trunc('milliseconds', now())
         WHERE tenant_id = $1 AND id = $2 RETURNING ${COLUMNS}`,
        [
          tenant,
          user.id,
          user.userName,
          user.externalId ?? null,
          user.active,
          user.passwordHash ?? null,
          JSON.stringify(user.resource),
        ],
      );
      return rows[0];
    } catch (error) {
      throw uniqueness(error, user.userName);
    }
  }

  /** Deletes a user; the row as it was, for the record's `changes` (undefined if none). */
  async delete(tenant: string, id: string): Promise<UserRow | undefined> {
    try {
      const rows = await this.db.query<UserRow>(
        `DELETE FROM users WHERE tenant_id = $1 AND id = $2 RETURNING ${COLUMNS}`,
        [tenant, id],
      );
      return rows[0];
    } catch (error) {
      throw stillReferenced(error);
    }
  }
}

export type UserSearchRow = UserRow & { sort_key: string | null };

/** A client's service account goes with its client (RFC 7592 delete), not on its own. */
function stillReferenced(error: unknown): unknown {
  if (error instanceof DatabaseError && error.isForeignKeyViolation()) {
    return scimError(
      409,
      undefined,
      'The user is still referenced, as the service account of a client; delete the client instead',
    );
  }
  return error;
}

function uniqueness(error: unknown, userName: string): unknown {
  if (error instanceof DatabaseError && error.isUniqueViolation('users_tenant_user_name')) {
    return scimError(
      409,
      'uniqueness',
      `userName "${userName.slice(0, 64)}" is already taken in this tenant`,
    );
  }
  return error;
}
