import { auditTarget } from '../audit/audit-target';
import { AuditDetails, AuditService } from '../audit/audit.service';
import { Inject, Injectable } from '@nestjs/common';
import { v7 as uuidv7 } from 'uuid';
import { scimError } from '../common/api-error';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { Database } from '../database/database';
import { NewUser } from '../users/user-row';
import { UserDto } from '../users/user.dto';
import { validateCanonicalUserFast } from '../users/user.fast-path';
import { canonicaliseKeys, changeViewOfNew, resourceOfOwned } from '../users/user.mapper';
import { computeChanges } from '../scim/scim-changes';
import { USER_SCHEMA } from '../users/user.schema';
import { UsersRepository } from '../users/users.repository';
import { hashPassword, isImportablePasswordHash } from '../common/secrets';
import { ImportOptions } from './import-envelope';
import {
  asObject,
  BatchAhead,
  BatchOutcomes,
  ImportItem,
  ImportProcessor,
  insertIsolating,
  isRefusal,
  itemRecord,
  ItemNames,
  ItemOutcome,
  keyOf,
  Limits,
  member,
  readItems,
  uniqueness,
  UNSTORABLE_ITEM,
} from './import-item';

/**
 * Reads one imported user the way HID's import does: `schemas` may be left out (the route
 * says what the items are), and a user without `userName` takes its `externalId`, else its
 * first email. Everything else is checked exactly as POST /Users checks it (on the fast path
 * where the item is plainly valid).
 */
export function readImportedUser(value: unknown, limits: Limits): ImportedUser {
  const object = asObject(value, 'user');
  const passwordHash = readPasswordHash(object);
  const plain = canonicaliseKeys(withoutMember(object, 'passwordHash'));
  plain.schemas ??= [USER_SCHEMA];
  if (plain.userName === undefined || plain.userName === null) {
    const userName = derivedUserName(plain);
    if (userName === undefined) {
      throw scimError(
        400,
        'invalidValue',
        'userName is required (or an externalId or an email to take it from)',
      );
    }
    plain.userName = userName;
  }
  const dto: ImportedUser = validateCanonicalUserFast(plain, limits);
  if (passwordHash !== undefined) {
    if (dto.password !== undefined) {
      throw scimError(400, 'invalidValue', 'A user has a password or a passwordHash, not both');
    }
    dto.passwordHash = passwordHash;
  }
  return dto;
}

/** An imported user: a SCIM User, and possibly the hash of a password another system made. */
export type ImportedUser = UserDto & { passwordHash?: string };

/**
 * `passwordHash` (import only, beside the SCIM attributes): a PHC-format hash (`$argon2id$`,
 * `$scrypt$`) or a bcrypt one (`$2b$`, `$2a$`, `$2y$`), stored exactly as given.
 */
function readPasswordHash(object: Record<string, unknown>): string | undefined {
  const value = member(object, 'passwordHash');
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || !isImportablePasswordHash(value)) {
    throw scimError(
      400,
      'invalidValue',
      'passwordHash must be a PHC-format argon2 or scrypt hash ($argon2id$…, $scrypt$…) or a bcrypt hash ($2b$…)',
    );
  }
  return value;
}

function withoutMember(object: Record<string, unknown>, name: string): Record<string, unknown> {
  const lower = name.toLowerCase();
  const named = (k: string) => k.toLowerCase() === lower;
  // Most items have no such member: they are not copied for nothing (the caller copies).
  if (!Object.keys(object).some(named)) return object;
  return Object.fromEntries(Object.entries(object).filter(([k]) => !named(k)));
}

function derivedUserName(plain: Record<string, unknown>): string | undefined {
  if (typeof plain.externalId === 'string' && plain.externalId.trim() !== '') {
    return plain.externalId;
  }
  const emails = plain.emails;
  const first: unknown = Array.isArray(emails) ? emails[0] : undefined;
  const email = first && typeof first === 'object' ? (first as { value?: unknown }).value : first;
  return typeof email === 'string' && email.trim() !== '' ? email : undefined;
}

/**
 * Creates imported users: one statement per batch writes the users and the records of all
 * its items; a taken name or a refused value sends the batch item by item instead.
 */
@Injectable()
export class UserImportProcessor implements ImportProcessor {
  constructor(
    private readonly users: UsersRepository,
    private readonly audit: AuditService,
    private readonly db: Database,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  isCostly(value: unknown): boolean {
    return (
      !!value &&
      typeof value === 'object' &&
      member(value as Record<string, unknown>, 'password') !== undefined
    );
  }

  async process(
    tenant: string,
    items: ImportItem[],
    options: ImportOptions,
    ahead: BatchAhead = {},
  ): Promise<ItemOutcome[]> {
    const batch =
      (ahead.prepared as BatchOutcomes<AcceptedUser> | undefined) ?? this.read(items, options);
    // scrypt runs on the libuv pool, so the batch's passwords hash in parallel.
    await Promise.all(
      batch.rows.map(async (row) => {
        if (row.password !== undefined) row.user.passwordHash = await hashPassword(row.password);
      }),
    );
    const users = batch.rows.map((r) => r.user);
    const together = await this.insertWithRecords(tenant, batch, users, ahead.whileWriting);
    if (together) return together;
    const { inserted, refused } = await insertIsolating(
      this.db,
      users,
      (user) => user.id,
      (some) => this.users.insertMany(tenant, some),
    );
    return batch.settle((_, at) =>
      inserted.has(users[at].id)
        ? { details: createdDetails(users[at]) }
        : {
            error: refused.has(users[at].id) ? UNSTORABLE_ITEM : taken(users[at].userName),
            names: named(users[at].userName),
          },
    );
  }

  /**
   * Reads and validates a batch ahead of its turn: its users, ready to insert once their
   * passwords (if any) are hashed in the batch's own turn, as are their records.
   */
  prepare(items: ImportItem[], options: ImportOptions): BatchOutcomes<AcceptedUser> {
    return this.read(items, options);
  }

  /** Reads the batch's items: each is failed at once or accepted as a user to create. */
  private read(items: ImportItem[], options: ImportOptions): BatchOutcomes<AcceptedUser> {
    const batch = new BatchOutcomes<AcceptedUser>();
    const seen = new Set<string>();
    for (const { item, value: dto, error } of readItems(items, (v) =>
      readImportedUser(v, this.config.limits),
    )) {
      if (error) {
        batch.fail(item.index, error, namesOf(item.value));
        continue;
      }
      if (seen.has(dto.userName.toLowerCase())) {
        batch.fail(item.index, taken(dto.userName), named(dto.userName));
        continue;
      }
      seen.add(dto.userName.toLowerCase());
      batch.accept(item.index, {
        password: dto.password,
        user: {
          id: uuidv7(),
          userName: dto.userName,
          externalId: dto.externalId,
          active: dto.active ?? true,
          // A hash made elsewhere is stored as given; a clear password is hashed before insert.
          passwordHash: dto.passwordHash ?? null,
          resource: withGroup(resourceOfOwned(dto, NOT_ATTRIBUTES), options.group),
        },
      });
    }
    return batch;
  }

  /**
   * The common case in one statement (inside a savepoint): the batch's users and the records
   * of all its items, in item order, each created user's record listing what it set, and
   * each failed item's its failure. Answers the batch's outcomes, recorded; or undefined,
   * with nothing written, when a user's name is taken (its record must be a failure, in its
   * place) or the database refuses the statement: the batch then takes the path that can
   * tell its items apart, and the batch records their outcomes.
   *
   * The records are stamped here, in the batch's own transaction (a record's `created` is
   * not before its transaction began: the log streams' commit horizon needs it), and their
   * `changes` are made only to be stamped: nothing holds them while the statement runs, so
   * the garbage collector never has to carry a batch's worth of them (it was a quarter of an
   * import's time). The outcomes answered carry no details: their records are written.
   */
  private async insertWithRecords(
    tenant: string,
    batch: BatchOutcomes<AcceptedUser>,
    users: NewUser[],
    whileWriting?: () => void,
  ): Promise<ItemOutcome[] | undefined> {
    if (users.length === 0) return undefined;
    try {
      await this.db.savepoint(() =>
        this.audit.recordManyWith(createdEntries(batch, users), async (records) => {
          const insert = this.users.insertManyWithRecords(tenant, users, records);
          whileWriting?.();
          if ((await insert) < users.length) throw new UserSkipped();
        }),
      );
    } catch (error) {
      if (error instanceof UserSkipped || isRefusal(error)) return undefined;
      throw error;
    }
    return batch.settle(() => ({ details: {} })).map((o) => ({ ...o, recorded: true }));
  }
}

/** The records of a batch if every accepted user is created: in item order, failures too. */
function createdEntries(batch: BatchOutcomes<AcceptedUser>, users: NewUser[]) {
  return batch
    .settle((_, at) => ({ details: createdDetails(users[at]) }))
    .map((o) => itemRecord('createUser', o));
}

/** An imported user's member that is not a SCIM attribute: it goes to its own column. */
const NOT_ATTRIBUTES: ReadonlySet<string> = new Set(['passwordHash']);

/** The resource of an imported user, in the import's group if it names one. */
function withGroup(
  resource: Record<string, unknown>,
  group: ImportOptions['group'],
): Record<string, unknown> {
  if (group) resource.groups = [{ value: group.value }];
  return resource;
}

/** A user of the batch was skipped (its name is taken): undo the statement's work. */
class UserSkipped extends Error {}

/** A user the batch will try to create, and its clear password to hash, if it has one. */
interface AcceptedUser {
  user: NewUser;
  password?: string;
}

/** The details of a created user's `createUser` record. */
function createdDetails(user: NewUser): AuditDetails<'createUser'> {
  return {
    target: auditTarget(user.userName, user.id),
    changes: computeChanges(null, changeViewOfNew(user)),
  };
}

function named(userName: string): ItemNames {
  return { key: { name: 'userName', value: userName }, target: auditTarget(userName) };
}

/** How a user that could not be read is named in its error and record, if it can be. */
function namesOf(value: unknown): ItemNames {
  const userName = keyOf(value, 'userName');
  if (userName !== undefined) return named(userName);
  const externalId = keyOf(value, 'externalId');
  return externalId !== undefined ? { key: { name: 'externalId', value: externalId } } : {};
}

function taken(userName: string) {
  return uniqueness(`userName "${userName.slice(0, 64)}" is already taken in this tenant`);
}
