import { auditTarget } from '../audit/audit-target';
import { Transactional } from '@nestjs-cls/transactional';
import { Inject, Injectable } from '@nestjs/common';
import { v7 as uuidv7 } from 'uuid';
import { AuditService } from '../audit/audit.service';
import { scimError } from '../common/api-error';
import { hashPassword } from '../common/secrets';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { checkIfMatch } from '../scim/scim-etag';
import { applyPatch } from '../scim/scim-patch';
import { SearchRequest } from '../scim/scim-search-request';
import { SearchPage, SearchService, SearchSpec } from '../search/search.service';
import { NewUser, UserRow } from './user-row';
import { UserDto } from './user.dto';
import { USER_ATTRIBUTES } from './user-attributes';
import { changeView, changeViewOfNew, resourceOf, userVersion, writableView } from './user.mapper';
import { computeChanges } from '../scim/scim-changes';
import { inJsonbKeyOrder } from '../audit/record-integrity';
import { FAST_PATH_ATTRIBUTES, validateUserFast } from './user.fast-path';
import { USER_FILTER_SCHEMA } from './users.filter-schema';
import { UserSearchRow, USERS_TABLE, UsersRepository } from './users.repository';

/** Sub-attribute names of the core User, in schema spelling, for PATCH paths. */
const A = FAST_PATH_ATTRIBUTES;
const SUB_ATTRIBUTE_NAMES = [
  ...A.name,
  ...A.multiValuedItem.strings,
  ...A.multiValuedItem.booleans,
  ...A.address.strings,
  ...A.address.booleans,
];
const CANONICAL = new Map(
  [...SUB_ATTRIBUTE_NAMES, ...USER_ATTRIBUTES].map((n) => [n.toLowerCase(), n]),
);

const USERS: SearchSpec = {
  resource: 'Users',
  schema: USER_FILTER_SCHEMA,
  defaultSort: { sql: 'u.created', type: 'dateTime' },
  id: 'u.id',
  notNull: new Set([
    'u.created',
    'u.last_modified',
    'lower(u.user_name) COLLATE "C"',
    'u.id::text COLLATE "C"',
  ]),
  table: USERS_TABLE,
};

/** SCIM Users: every change and its audit record in one transaction. */
@Injectable()
export class UsersService {
  constructor(
    private readonly users: UsersRepository,
    private readonly audit: AuditService,
    private readonly search: SearchService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * The user and its record are one statement (both are stored or neither), in a transaction
   * of its own all the same: COMMIT goes only once the statement has answered, so a statement
   * that a hung database carries out after this process gave up on it (503) is rolled back
   * with the closed connection instead of committing a change the client was told failed.
   * Three round trips (begin, the insert, commit) instead of five.
   */
  @Transactional()
  async create(tenant: string, body: unknown): Promise<UserRow> {
    const dto = validateUserFast(body, this.config.limits);
    const user: NewUser = {
      id: uuidv7(),
      userName: dto.userName,
      externalId: dto.externalId,
      active: dto.active ?? true,
      passwordHash: dto.password !== undefined ? await hashPassword(dto.password) : null,
      resource: resourceOf(dto),
    };
    // This clock, to the millisecond, as the record's `created` is (AuditDetails.at).
    const created = new Date();
    return this.audit.recordWith(
      'createUser',
      {
        target: auditTarget(user.userName, user.id),
        // Listed in the order the stored resource reads back in, as for any other change.
        changes: computeChanges(
          null,
          changeViewOfNew({ ...user, resource: inJsonbKeyOrder(user.resource) }),
        ),
        at: created,
      },
      (record) => this.users.insertWithRecord(tenant, user, created, record),
    );
  }

  async get(tenant: string, id: string): Promise<UserRow> {
    const row = await this.users.findById(tenant, id);
    if (!row) throw notFound(id);
    return row;
  }

  @Transactional()
  async replace(tenant: string, id: string, body: unknown, ifMatch?: string): Promise<UserRow> {
    const existing = await this.lockForChange(tenant, id, ifMatch);
    const dto = validateUserFast(body, this.config.limits);
    // A replacement without `active` gets the default a new user gets (RFC 7644 §3.5.1).
    return this.save(tenant, existing, dto, 'PUT', dto.active ?? true);
  }

  @Transactional()
  async patch(tenant: string, id: string, body: unknown, ifMatch?: string): Promise<UserRow> {
    const existing = await this.lockForChange(tenant, id, ifMatch);
    const patched = applyPatch(writableView(existing), body, {
      canonicalName: (n) => CANONICAL.get(n.toLowerCase()) ?? n,
      readOnly: new Set(['id', 'meta', 'groups', 'schemas']),
    });
    const dto = validateUserFast(patched, this.config.limits);
    // A removed `active` is unassigned (RFC 7644 §3.5.2.2), which counts as not active.
    return this.save(tenant, existing, dto, 'PATCH', dto.active ?? null);
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
    await this.audit.record('deleteUser', {
      target: auditTarget(existing.user_name, existing.id),
      changes: computeChanges(changeView(existing), null),
    });
  }

  /** A filtered, sorted page, by index or by cursor (the same search engine as AuditRecords). */
  list(tenant: string, request: SearchRequest): Promise<SearchPage<UserSearchRow>> {
    return this.search.list<UserSearchRow>(tenant, USERS, request);
  }

  private async lockForChange(tenant: string, id: string, ifMatch?: string): Promise<UserRow> {
    const row = await this.users.findForUpdate(tenant, id);
    if (!row) throw notFound(id);
    checkIfMatch(ifMatch, userVersion(row));
    return row;
  }

  private async save(
    tenant: string,
    existing: UserRow,
    dto: UserDto,
    method: string,
    active: boolean | null,
  ): Promise<UserRow> {
    const passwordHash =
      dto.password !== undefined ? await hashPassword(dto.password) : existing.password_hash;
    const row = await this.users.update(tenant, {
      id: existing.id,
      userName: dto.userName,
      externalId: dto.externalId ?? null,
      active,
      passwordHash,
      // Group membership is server-managed (bulk import applies it): a PUT or PATCH keeps it.
      resource: { ...resourceOf(dto), ...groupsOf(existing) },
    });
    await this.audit.record('updateUser', {
      target: auditTarget(row.user_name, row.id),
      parameters: {
        method,
        ...(row.user_name !== existing.user_name ? { previousUserName: existing.user_name } : {}),
        ...(dto.password !== undefined ? { passwordChanged: 'true' } : {}),
      },
      changes: computeChanges(changeView(existing), changeView(row)),
      at: row.last_modified,
    });
    return row;
  }
}

function groupsOf(row: UserRow): Record<string, unknown> {
  return row.resource.groups !== undefined ? { groups: row.resource.groups } : {};
}

function notFound(id: string) {
  return scimError(404, undefined, `User ${id.slice(0, 64)} not found`);
}
