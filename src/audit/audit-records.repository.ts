import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { Database } from '../database/database';
import { SearchDatabase } from '../database/search-database';
import { SearchTable } from '../search/search.queries';
import { isUuid } from '../common/uuid';
import {
  AUDIT_RECORD_COLUMNS,
  AuditRecordJsonRow,
  auditRecordJsonSql,
  AuditRecordRow,
} from './audit-record';
import {
  INSERT_ABSENT_RECORDS,
  INSERT_RECORD,
  INSERT_RECORDS,
  insertRecordArraysFrom,
  JSONB_AUDIT_COLUMNS,
  insertRecordFrom,
  WRITTEN_AUDIT_COLUMNS,
} from './audit-records.queries';
import { AuditKeysService } from './audit-keys.service';
import { jsonArrayText } from '../database/json-array-param';
import { arrayLiteral } from '../database/array-literal';
import {
  CanonicalRecordTexts,
  canonicalRecordText,
  canonicalTextHash,
  RecordJsonbTexts,
  recordJsonbTexts,
  RecordKey,
  recordMac,
} from './record-integrity';
import { RecordMacs } from './record-check';

/** A record id's text: a uuid (RecordMacs writes it into place, at its fixed length). */
const UUID_TEXT_LENGTH = 36;
/** MAC writers kept (one per tenant and key written to); all are dropped past this. */
const MAC_WRITERS_KEPT = 1000;

/** The stored columns of one record as its writer builds them. */
export type NewAuditRecord = Omit<AuditRecordRow, 'created' | 'hash'> & {
  /** Given when the record must carry the changed row's time (AuditDetails.at). */
  created?: string;
};

/**
 * A record stamped and ready for a statement that writes it beside its change: `insert`
 * numbers the record's parameters from `first`, `params` are their values.
 */
export interface PreparedAuditRecord {
  insert(first: number): string;
  params: unknown[];
}

/**
 * Many records stamped and ready for a statement that writes them beside their changes:
 * `insert` numbers the parameters (one per column: an array, or a JSON array for a jsonb
 * column) from `first`; `params` are their values.
 */
export interface PreparedAuditRecords {
  insert(first: number): string;
  params: unknown[];
}

/** A record ready to insert: stamped with its time, hash and MAC by the service. */
type StampedAuditRecord = NewAuditRecord & {
  created: string;
  hash: string;
  mac: string;
  mac_key_id: string;
};

/**
 * The audit trail's table. Writes of changes run in the caller's transaction (`Database`);
 * reads, and the records of reads, run on the search connections, so every read stops at the
 * search statement timeout. Reads are always scoped to one tenant; records come back as their
 * API JSON, rendered by the statement (auditRecordJsonSql).
 */
@Injectable()
export class AuditRecordsRepository {
  /** What an audit search reads: each record's id and its JSON. */
  readonly table: SearchTable;
  private readonly findByIdSql: string;
  private readonly macWriters = new Map<string, RecordMacs>();

  constructor(
    private readonly db: SearchDatabase,
    private readonly tx: Database,
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly keys: AuditKeysService,
  ) {
    this.table = {
      from: 'audit_records r',
      tenantColumn: 'r.tenant_id',
      columns: AUDIT_RECORD_COLUMNS.map((column) => `r.${column}`).join(', '),
      // Rendered for the page's rows only, not for the rows an OFFSET skips.
      pageColumns: `page.id, ${auditRecordJsonSql(config.publicBaseUrl, 'page')} AS resource`,
    };
    this.findByIdSql = `SELECT r.id, ${auditRecordJsonSql(config.publicBaseUrl)} AS resource
      FROM audit_records r WHERE r.tenant_id = $1 AND r.id = $2`;
  }

  /** One record, in the current transaction (or on its own outside one). */
  async insert(row: NewAuditRecord): Promise<void> {
    const stamped = this.stamp(row);
    await this.tx.query(
      INSERT_RECORD,
      WRITTEN_AUDIT_COLUMNS.map((column) => param(stamped, column)),
    );
  }

  /** One record, stamped for a statement of the caller's that writes it (insertRecordFrom). */
  prepare(row: NewAuditRecord): PreparedAuditRecord {
    const stamped = this.stamp(row);
    return {
      insert: insertRecordFrom,
      params: WRITTEN_AUDIT_COLUMNS.map((column) => param(stamped, column)),
    };
  }

  /** Many records, stamped for a statement of the caller's that writes them (column arrays). */
  prepareMany(rows: NewAuditRecord[]): PreparedAuditRecords {
    const texts: RecordJsonbTexts[] = [];
    const canonical = new CanonicalRecordTexts();
    let previous: StampedAuditRecord | undefined;
    const stamped = rows.map(
      (row) =>
        (previous = this.stamp(
          row,
          texts,
          previous && { fields: previous, texts: texts.at(-1)! },
          canonical,
        )),
    );
    const columns = WRITTEN_AUDIT_COLUMNS.map((column): (string | null)[] =>
      isJsonbColumn(column) ? texts.map((t) => t[column]) : stamped.map((row) => row[column]),
    );
    // A batch's records share most columns (its context): those are sent once, not per
    // record. Never all of them (every record has its own id), so some array remains.
    const shared = columns.map(
      (values) => values.length > 1 && values.every((value) => value === values[0]),
    );
    return {
      insert: (first) => insertRecordArraysFrom(first, shared),
      params: columns.map((values, i) =>
        shared[i]
          ? values[0]
          : isJsonbColumn(WRITTEN_AUDIT_COLUMNS[i])
            ? jsonArrayText(values as string[])
            : arrayLiteral(values),
      ),
    };
  }

  /** Many records in one statement, in the current transaction. */
  async insertMany(rows: NewAuditRecord[]): Promise<void> {
    await this.tx.query(INSERT_RECORDS, [JSON.stringify(rows.map((r) => this.stamp(r)))]);
  }

  /** Many records in one statement, those already stored (by id) left out. */
  async insertAbsent(rows: NewAuditRecord[]): Promise<void> {
    // The backlog holds the failures of several requests, so of several tenants.
    await this.db.acrossTenants('write backlogged failure records of several tenants', () =>
      this.tx.query(INSERT_ABSENT_RECORDS, [JSON.stringify(rows.map((r) => this.stamp(r)))]),
    );
  }

  /**
   * Records of reads of the trail, on the search connections (no transaction to join),
   * prepared: one plan per connection instead of one per batch, whatever the batch size.
   */
  async insertReads(rows: NewAuditRecord[]): Promise<void> {
    // A batch holds the reads of several requests, so of several tenants.
    await this.db.acrossTenants('read records of several tenants, committed together', () =>
      this.db.query(INSERT_RECORDS, [JSON.stringify(rows.map((r) => this.stamp(r)))], {
        prepare: true,
        writes: true,
      }),
    );
  }

  /**
   * The record as it will be stored, with `created` (this clock, to the millisecond), its
   * hash over every stored field and its MAC under the current record key: computed here,
   * before the insert, so the key never reaches the database. Text is made well-formed
   * first (a lone surrogate becomes U+FFFD, as PostgreSQL would store it), so the hash is
   * that of what is stored.
   */
  private stamp(
    row: NewAuditRecord,
    texts?: RecordJsonbTexts[],
    previous?: { fields: StampedAuditRecord; texts: RecordJsonbTexts },
    /** The batch's writer of canonical texts, which reuses what records share. */
    canonicalTexts?: CanonicalRecordTexts,
  ): StampedAuditRecord {
    const key = this.keys.currentRecordKey();
    const created = row.created ?? new Date().toISOString();
    // One copy of the row, hashed once complete but for its hash and MAC (which it excludes).
    let stamped = stampedCopy(row, created, key.id);
    // The jsonb text the hash covers; kept in `texts` for a writer that sends it as it is.
    let rendered = recordJsonbTexts(stamped, previous);
    let canonical = canonicalTexts
      ? canonicalTexts.text(stamped, rendered)
      : canonicalRecordText(stamped, rendered);
    // Every field is in the text, as JSON, which writes a lone surrogate as an escape: only
    // a text with one (rare) needs the copy made well-formed, and rendered again.
    if (ESCAPED_SURROGATE.test(canonical)) {
      stamped = stampedCopy(wellFormed(row), created, key.id);
      rendered = recordJsonbTexts(stamped);
      canonical = canonicalRecordText(stamped, rendered);
    }
    texts?.push(rendered);
    stamped.hash = canonicalTextHash(canonical);
    stamped.mac =
      stamped.id.length === UUID_TEXT_LENGTH
        ? this.macs(key, stamped.tenant_id).digest(stamped.id, stamped.hash)
        : recordMac(key, stamped.tenant_id, stamped.id, stamped.hash);
    return stamped;
  }

  /**
   * The MAC writer of a tenant under a key (RecordMacs: the key's pads laid out once, not
   * imported again for every record), kept for the tenants written to lately.
   */
  private macs(key: RecordKey, tenant: string): RecordMacs {
    const name = `${key.id}\n${tenant}`;
    let macs = this.macWriters.get(name);
    if (!macs) {
      if (this.macWriters.size >= MAC_WRITERS_KEPT) this.macWriters.clear();
      macs = new RecordMacs(key.secret, tenant);
      this.macWriters.set(name, macs);
    }
    return macs;
  }

  async findById(tenant: string, id: string): Promise<AuditRecordJsonRow | undefined> {
    if (!isUuid(id)) return undefined;
    const rows = await this.db.query<AuditRecordJsonRow>(this.findByIdSql, [tenant, id], {
      prepare: true,
    });
    return rows[0];
  }
}

/**
 * The record with its stamp's fields, as one object literal of a fixed shape. A spread of the
 * row followed by the four new members made V8 keep the copy as a dictionary, which cost
 * more than hashing it; every column is read again for the hash and the insert.
 */
function stampedCopy(row: NewAuditRecord, created: string, keyId: string): StampedAuditRecord {
  return {
    id: row.id,
    tenant_id: row.tenant_id,
    correlation_id: row.correlation_id,
    request_id: row.request_id,
    coi: row.coi,
    service_id: row.service_id,
    service_host: row.service_host,
    action_name: row.action_name,
    action_parameters: row.action_parameters,
    result: row.result,
    message: row.message,
    return_value: row.return_value,
    acting_user_id: row.acting_user_id,
    acting_user_immutable_id: row.acting_user_immutable_id,
    acting_session_id: row.acting_session_id,
    acting_auth_method: row.acting_auth_method,
    target_user_id: row.target_user_id,
    target_user_immutable_id: row.target_user_immutable_id,
    changes: row.changes,
    client: row.client,
    trace_id: row.trace_id,
    created,
    hash: '',
    mac: '',
    mac_key_id: keyId,
  };
}

/** A surrogate code unit, paired or not. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/;
/**
 * How JSON.stringify writes a lone surrogate (a pair stays as it is). Also met where a
 * string holds a backslash and `ud800` as text: then the copy is made for nothing.
 */
const ESCAPED_SURROGATE = /\\ud[89a-f][0-9a-f]{2}/;

function wellFormed<T>(value: T): T {
  if (typeof value === 'string') {
    return (LONE_SURROGATE.test(value) ? Buffer.from(value, 'utf8').toString('utf8') : value) as T;
  }
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(wellFormed) as T;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [wellFormed(k), wellFormed(v)]),
  ) as T;
}

const JSONB_COLUMNS: ReadonlySet<string> = new Set(JSONB_AUDIT_COLUMNS);

function isJsonbColumn(column: string): column is keyof RecordJsonbTexts {
  return JSONB_COLUMNS.has(column);
}

function param(row: StampedAuditRecord, column: keyof StampedAuditRecord): unknown {
  const value = row[column];
  // jsonb columns travel as JSON text.
  return value !== null && typeof value === 'object' ? JSON.stringify(value) : value;
}

export type SearchableAuditRow = AuditRecordJsonRow & { sort_key: string | null };
