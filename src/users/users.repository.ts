import { TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { Injectable } from '@nestjs/common';
import { QueryFailedError } from 'typeorm';
import { scimError } from '../common/api-error';
import { NewUser, UserRow } from './user-row';

const COLUMNS = `id, tenant_id, user_name, external_id, active, service_account, password_hash,
  resource, version, created, last_modified`;

/** Users table access, always through the CLS transaction's EntityManager. */
@Injectable()
export class UsersRepository {
  constructor(private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>) {}

  async insert(tenant: string, user: NewUser): Promise<UserRow> {
    try {
      const rows: UserRow[] = await this.txHost.tx.query(
        `INSERT INTO users (id, tenant_id, user_name, external_id, active, service_account, password_hash, resource)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${COLUMNS}`,
        [
          user.id,
          tenant,
          user.userName,
          user.externalId ?? null,
          user.active,
          user.serviceAccount ?? false,
          user.passwordHash ?? null,
          JSON.stringify(user.resource),
        ],
      );
      return rows[0];
    } catch (error) {
      throw uniqueness(error, user.userName);
    }
  }

  async findById(tenant: string, id: string): Promise<UserRow | undefined> {
    if (!isUuid(id)) return undefined;
    const rows: UserRow[] = await this.txHost.tx.query(
      `SELECT ${COLUMNS} FROM users WHERE tenant_id = $1 AND id = $2`,
      [tenant, id],
    );
    return rows[0];
  }

  async findByUserName(tenant: string, userName: string): Promise<UserRow | undefined> {
    const rows: UserRow[] = await this.txHost.tx.query(
      `SELECT ${COLUMNS} FROM users WHERE tenant_id = $1 AND lower(user_name) = lower($2)`,
      [tenant, userName],
    );
    return rows[0];
  }

  /** Locks the row for the rest of the transaction (read-modify-write of PUT and PATCH). */
  async findForUpdate(tenant: string, id: string): Promise<UserRow | undefined> {
    if (!isUuid(id)) return undefined;
    const rows: UserRow[] = await this.txHost.tx.query(
      `SELECT ${COLUMNS} FROM users WHERE tenant_id = $1 AND id = $2 FOR UPDATE`,
      [tenant, id],
    );
    return rows[0];
  }

  async update(tenant: string, user: NewUser): Promise<UserRow> {
    try {
      // TypeORM answers an UPDATE with [rows, affected count], not with the rows alone.
      const [rows]: [UserRow[], number] = await this.txHost.tx.query(
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

  async delete(tenant: string, id: string): Promise<void> {
    try {
      await this.txHost.tx.query('DELETE FROM users WHERE tenant_id = $1 AND id = $2', [
        tenant,
        id,
      ]);
    } catch (error) {
      throw stillReferenced(error);
    }
  }

  /** A page of users; `where` is a compiled filter over alias `u` with params from $2 on. */
  async list(
    tenant: string,
    options: {
      where?: string;
      params?: unknown[];
      orderBy?: string;
      offset: number;
      limit: number;
    },
  ): Promise<{ total: number; rows: UserRow[] }> {
    const params = [tenant, ...(options.params ?? [])];
    const where = `u.tenant_id = $1${options.where ? ` AND (${options.where})` : ''}`;
    const [{ total }]: { total: number }[] = await this.txHost.tx.query(
      `SELECT count(*)::int AS total FROM users u WHERE ${where}`,
      params,
    );
    if (options.limit === 0 || total === 0) return { total, rows: [] };
    const rows: UserRow[] = await this.txHost.tx.query(
      `SELECT ${COLUMNS} FROM users u WHERE ${where}
       ORDER BY ${options.orderBy ?? 'u.created, u.id'} OFFSET $${params.length + 1} LIMIT $${params.length + 2}`,
      [...params, options.offset, options.limit],
    );
    return { total, rows };
  }
}

export function isUuid(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}

/** A client's service account goes with its client (RFC 7592 delete), not on its own. */
function stillReferenced(error: unknown): unknown {
  if (
    error instanceof QueryFailedError &&
    (error.driverError as { code?: string }).code === '23503'
  ) {
    return scimError(
      409,
      undefined,
      'The user is still referenced, as the service account of a client; delete the client instead',
    );
  }
  return error;
}

function uniqueness(error: unknown, userName: string): unknown {
  if (
    error instanceof QueryFailedError &&
    (error.driverError as { code?: string; constraint?: string }).code === '23505' &&
    (error.driverError as { constraint?: string }).constraint === 'users_tenant_user_name'
  ) {
    return scimError(
      409,
      'uniqueness',
      `userName "${userName.slice(0, 64)}" is already taken in this tenant`,
    );
  }
  return error;
}
