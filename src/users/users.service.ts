import { Transactional } from '@nestjs-cls/transactional';
import { Inject, Injectable } from '@nestjs/common';
import { randomBytes, scrypt } from 'node:crypto';
import { promisify } from 'node:util';
import { v7 as uuidv7 } from 'uuid';
import { AuditService } from '../audit/audit.service';
import { scimError } from '../common/api-error';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { compileScimFilter, compileSortBy, parseScimFilter, SqlParams } from '../scim/filter';
import { applyPatch } from '../scim/scim-patch';
import { Paging } from '../scim/scim-paging';
import { UserRow } from './user-row';
import { UserDto } from './user.dto';
import { resourceOf, userVersion, validateUser, writableView } from './user.mapper';
import { USER_FILTER_SCHEMA } from './users.filter-schema';
import { UsersRepository } from './users.repository';

const scryptAsync = promisify(scrypt) as (
  password: string,
  salt: string,
  keylen: number,
) => Promise<Buffer>;

const SUB_ATTRIBUTE_NAMES = [
  'formatted',
  'familyName',
  'givenName',
  'middleName',
  'honorificPrefix',
  'honorificSuffix',
  'value',
  'display',
  'type',
  'primary',
  'streetAddress',
  'locality',
  'region',
  'postalCode',
  'country',
  'schemas',
  'id',
  'externalId',
  'userName',
  'name',
  'displayName',
  'nickName',
  'profileUrl',
  'title',
  'userType',
  'preferredLanguage',
  'locale',
  'timezone',
  'active',
  'password',
  'emails',
  'phoneNumbers',
  'ims',
  'photos',
  'addresses',
  'groups',
  'entitlements',
  'roles',
  'x509Certificates',
  'meta',
];
const CANONICAL = new Map(SUB_ATTRIBUTE_NAMES.map((n) => [n.toLowerCase(), n]));

export interface UserQuery extends Paging {
  filter?: string;
  sortBy?: string;
  sortOrder?: string;
}

/** SCIM Users: every change and its audit record in one transaction. */
@Injectable()
export class UsersService {
  constructor(
    private readonly users: UsersRepository,
    private readonly audit: AuditService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Transactional()
  async create(tenant: string, body: unknown): Promise<UserRow> {
    const dto = validateUser(body, this.config.limits);
    const row = await this.users.insert(tenant, {
      id: uuidv7(),
      userName: dto.userName,
      externalId: dto.externalId,
      active: dto.active ?? true,
      passwordHash: dto.password !== undefined ? await hashPassword(dto.password) : null,
      resource: resourceOf(dto),
    });
    await this.audit.record('createUser', { target: target(row) });
    return row;
  }

  async get(tenant: string, id: string): Promise<UserRow> {
    const row = await this.users.findById(tenant, id);
    if (!row) throw notFound(id);
    return row;
  }

  @Transactional()
  async replace(tenant: string, id: string, body: unknown, ifMatch?: string): Promise<UserRow> {
    const existing = await this.lockForChange(tenant, id, ifMatch);
    const dto = validateUser(body, this.config.limits);
    return this.save(tenant, existing, dto, 'PUT');
  }

  @Transactional()
  async patch(tenant: string, id: string, body: unknown, ifMatch?: string): Promise<UserRow> {
    const existing = await this.lockForChange(tenant, id, ifMatch);
    const patched = applyPatch(writableView(existing), body, {
      canonicalName: (n) => CANONICAL.get(n.toLowerCase()) ?? n,
      readOnly: new Set(['id', 'meta', 'groups', 'schemas']),
    });
    const dto = validateUser(patched, this.config.limits);
    return this.save(tenant, existing, dto, 'PATCH');
  }

  @Transactional()
  async delete(tenant: string, id: string, ifMatch?: string): Promise<void> {
    const existing = await this.lockForChange(tenant, id, ifMatch);
    if (existing.service_account) {
      throw scimError(
        409,
        undefined,
        `User ${existing.user_name} is the service account of an OAuth client; delete the client (RFC 7592) instead`,
      );
    }
    await this.users.delete(tenant, existing.id);
    await this.audit.record('deleteUser', { target: target(existing) });
  }

  async list(tenant: string, query: UserQuery): Promise<{ total: number; rows: UserRow[] }> {
    const params = new SqlParams(2);
    const where = query.filter
      ? compileScimFilter(parseScimFilter(query.filter), USER_FILTER_SCHEMA, params)
      : undefined;
    let orderBy: string | undefined;
    if (query.sortBy) {
      const sort = compileSortBy(query.sortBy, USER_FILTER_SCHEMA, params);
      const direction = readSortOrder(query.sortOrder);
      orderBy = `${sort.sql} ${direction} NULLS LAST, u.id ${direction}`;
    }
    return this.users.list(tenant, {
      where,
      params: params.values,
      orderBy,
      offset: query.startIndex - 1,
      limit: query.count,
    });
  }

  private async lockForChange(tenant: string, id: string, ifMatch?: string): Promise<UserRow> {
    const row = await this.users.findForUpdate(tenant, id);
    if (!row) throw notFound(id);
    if (ifMatch !== undefined && !etagMatches(ifMatch, userVersion(row))) {
      throw scimError(
        412,
        undefined,
        'The resource has changed: If-Match does not match meta.version',
      );
    }
    return row;
  }

  private async save(
    tenant: string,
    existing: UserRow,
    dto: UserDto,
    method: string,
  ): Promise<UserRow> {
    const passwordHash =
      dto.password !== undefined ? await hashPassword(dto.password) : existing.password_hash;
    const row = await this.users.update(tenant, {
      id: existing.id,
      userName: dto.userName,
      externalId: dto.externalId ?? null,
      active: dto.active ?? true,
      passwordHash,
      resource: resourceOf(dto),
    });
    await this.audit.record('updateUser', {
      target: target(row),
      parameters: {
        method,
        ...(row.user_name !== existing.user_name ? { previousUserName: existing.user_name } : {}),
        ...(dto.password !== undefined ? { passwordChanged: 'true' } : {}),
      },
    });
    return row;
  }
}

export function readSortOrder(value: string | undefined): 'ASC' | 'DESC' {
  if (value === undefined || value === '' || value.toLowerCase() === 'ascending') return 'ASC';
  if (value.toLowerCase() === 'descending') return 'DESC';
  throw scimError(400, 'invalidValue', 'sortOrder must be "ascending" or "descending"');
}

function etagMatches(header: string, version: string): boolean {
  return header
    .split(',')
    .map((t) => t.trim())
    .some((t) => t === '*' || t === version || `W/${t}` === version);
}

function target(row: UserRow) {
  return { id: row.user_name, immutableId: row.id };
}

function notFound(id: string) {
  return scimError(404, undefined, `User ${id.slice(0, 64)} not found`);
}

async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16).toString('hex');
  return `scrypt:${salt}:${(await scryptAsync(password, salt, 32)).toString('hex')}`;
}
