import { AuditAction } from '../audit/audit-actions';
import { AuditDetails, AuditEntry } from '../audit/audit.service';
import { ApiError } from '../common/api-error';
import { storableText } from '../common/text-safety';
import { asObject, member, optionalString, requiredString } from '../scim/scim-members';
import { Database } from '../database/database';
import { DatabaseError } from '../database/database-error';
import { ImportOptions, REFUSED_ITEM_MEMBER } from './import-envelope';

/** One submitted item and its 0-based position in the import. */
export interface ImportItem {
  index: number;
  value: unknown;
}

/** The member that names an item in the status document's errors (API.md §8). */
export type ItemKeyName = 'userName' | 'externalId' | 'serialNumber' | 'name';

export interface ItemError {
  status: number;
  scimType?: string;
  detail: string;
}

/** What became of one item: created (with its record's details) or failed alone. */
export type ItemOutcome = (
  | { index: number; ok: true; details: AuditDetails }
  | {
      index: number;
      ok: false;
      error: ItemError;
      key?: { name: ItemKeyName; value: string };
      /** The affected user, where there is one (a user import's userName). */
      target?: { id?: string };
    }
) & {
  /** Its record is written already, by the processor's own statement. */
  recorded?: true;
};

/**
 * Creates one kind of entity from a batch of items inside the current transaction: every item
 * gets exactly one outcome, in order, and an item's failure must never abort the batch.
 */
export interface ImportProcessor {
  process(
    tenant: string,
    items: ImportItem[],
    options: ImportOptions,
    ahead?: BatchAhead,
  ): Promise<ItemOutcome[]>;
  /** Items that are expensive to create (a password to hash); a batch takes few of them. */
  isCostly?(value: unknown): boolean;
  /**
   * The part of a batch's work that needs no statement and no clock (reading, validating,
   * building rows), done ahead: while the database writes one batch, the next is prepared,
   * so the service and PostgreSQL work at once instead of in turn. Records are made and
   * stamped by `process`, in the batch's own transaction. What it builds is
   * handed back to `process` (`BatchAhead.prepared`) only for the same items; if it throws,
   * nothing is handed back and the batch does the work itself.
   */
  prepare?(items: ImportItem[], options: ImportOptions): unknown;
}

/** What a batch gets from the batch before it, and gives to the one after it. */
export interface BatchAhead {
  /** What `prepare` built for exactly this batch's items, if anything. */
  prepared?: unknown;
  /** Called once the batch's main statement is on its way to the database. */
  whileWriting?: () => void;
}

export type Limits = { userNameLength: number; stringLength: number };

export type ItemFailure = Extract<ItemOutcome, { ok: false }>;
/** How a failed item is named: in the status document (`key`) and its record (`target`). */
export type ItemNames = Pick<ItemFailure, 'key' | 'target'>;

/** An item as its reader judged it: a value, or the reason it cannot be imported. */
export type ReadItem<T> =
  | { item: ImportItem; value: T; error?: undefined }
  | { item: ImportItem; value?: undefined; error: ItemError };

export function readItems<T>(items: ImportItem[], read: (value: unknown) => T): ReadItem<T>[] {
  return items.map((item) => {
    const refused = refusedAtAcceptance(item.value);
    if (refused !== undefined) return { item, error: invalidValue(refused) };
    try {
      return { item, value: read(item.value) };
    } catch (error) {
      return { item, error: itemError(error) };
    }
  });
}

/**
 * The outcomes of one batch in item order. Items are failed at once or accepted as rows to
 * insert; once the insert has run, `settle` says what became of each accepted row.
 */
export class BatchOutcomes<T> {
  private readonly outcomes: ItemOutcome[] = [];
  private readonly accepted: { slot: number; row: T }[] = [];

  fail(index: number, error: ItemError, names: ItemNames = {}): void {
    this.outcomes.push({ index, ok: false, error, ...names });
  }

  accept(index: number, row: T): void {
    this.accepted.push({ slot: this.outcomes.length, row });
    this.outcomes.push({ index, ok: true, details: {} });
  }

  get rows(): T[] {
    return this.accepted.map((a) => a.row);
  }

  /**
   * The outcomes of every item, in order, if each accepted row ends as `result` says: a new
   * array each time (the batch keeps none of them), so it may be asked more than once.
   */
  settle(
    result: (
      row: T,
      /** The row's place in `rows`. */
      at: number,
    ) => { details: AuditDetails } | { error: ItemError; names: ItemNames },
  ): ItemOutcome[] {
    const outcomes = [...this.outcomes];
    for (const [at, { slot, row }] of this.accepted.entries()) {
      const index = outcomes[slot].index;
      const r = result(row, at);
      outcomes[slot] =
        'details' in r
          ? { index, ok: true, details: r.details }
          : { index, ok: false, error: r.error, ...r.names };
    }
    return outcomes;
  }
}

/** The record of an item's outcome: its action, a failure with the item's error and index. */
export function itemRecord(action: AuditAction, outcome: ItemOutcome): AuditEntry {
  if (outcome.ok) return { action, details: outcome.details };
  return {
    action,
    details: {
      status: outcome.error.status,
      error: outcome.error.scimType ?? String(outcome.error.status),
      message: outcome.error.detail,
      parameters: { index: outcome.index },
      ...(outcome.target ? { target: outcome.target } : {}),
    },
  };
}

/** Turns an expected refusal (validation, conflict) into an item error; rethrows the rest. */
export function itemError(error: unknown): ItemError {
  if (!(error instanceof ApiError)) throw error;
  return { status: error.status, scimType: error.options.scimType, detail: error.detail };
}

export function uniqueness(detail: string): ItemError {
  return { status: 409, scimType: 'uniqueness', detail };
}

export function invalidValue(detail: string): ItemError {
  return { status: 400, scimType: 'invalidValue', detail };
}

export { asObject, member, optionalString, requiredString };

/** A string member read leniently, only to name a failed item in the status document. */
export function keyOf(value: unknown, name: string): string | undefined {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const v = member(value as Record<string, unknown>, name);
  return typeof v === 'string' && v !== '' ? storableText(v.slice(0, 256)) : undefined;
}

/** The reason an item was refused when its import was accepted (see markUnstorable). */
function refusedAtAcceptance(value: unknown): string | undefined {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const reason = (value as Record<string, unknown>)[REFUSED_ITEM_MEMBER];
  return typeof reason === 'string' ? reason : undefined;
}

export const UNSTORABLE_ITEM: ItemError = invalidValue(
  'The database refused a value of this item; it was not imported',
);

/**
 * Inserts a batch's rows with one statement inside a savepoint. If the database refuses that
 * statement for anything but being unavailable, each row is tried alone in its own savepoint,
 * so whatever it refuses fails only its own item. Returns the ids inserted and the ids refused
 * (rows in neither were skipped by the insert itself, a conflict).
 */
export async function insertIsolating<R>(
  db: Database,
  rows: R[],
  idOf: (row: R) => string,
  insertMany: (rows: R[]) => Promise<Set<string>>,
): Promise<{ inserted: Set<string>; refused: Set<string> }> {
  const refused = new Set<string>();
  if (rows.length === 0) return { inserted: new Set(), refused };
  try {
    return { inserted: await db.savepoint(() => insertMany(rows)), refused };
  } catch (error) {
    if (!isRefusal(error)) throw error;
    if (rows.length === 1) return { inserted: new Set(), refused: new Set([idOf(rows[0])]) };
  }
  const inserted = new Set<string>();
  for (const row of rows) {
    try {
      for (const id of await db.savepoint(() => insertMany([row]))) inserted.add(id);
    } catch (error) {
      if (!isRefusal(error)) throw error;
      refused.add(idOf(row));
    }
  }
  return { inserted, refused };
}

/**
 * A statement the database refused for the data it carried (SQLSTATE classes 22 data
 * exception, 23 integrity violation, 54 program limit such as an oversized index row), as
 * opposed to one it could not run now, which fails the batch so the job retries it.
 */
export function isRefusal(error: unknown): boolean {
  return /^(22|23|54)/.test(DatabaseError.from(error).code ?? '');
}
