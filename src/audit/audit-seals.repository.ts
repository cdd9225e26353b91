import { Injectable } from '@nestjs/common';
import { Database } from '../database/database';
import { SearchDatabase } from '../database/search-database';
import { AuditSealRow } from './audit-seal';
import { SEAL_COLUMNS } from './audit-trail-source';

/** A record's part in a seal: where it sits in commit order, and its hash. */
export interface SealableRecord {
  id: string;
  xact_id: string;
  hash: string;
  /** The record's month (UTC, `YYYY-MM`): the partition it lives in. */
  month: string;
}

/**
 * The seals table (append-only, like the records) and the statements of sealing. Sealing
 * runs in a transaction of its own on `Database`; reads for record proofs on the search
 * connections.
 */
@Injectable()
export class AuditSealsRepository {
  constructor(
    private readonly tx: Database,
    private readonly search: SearchDatabase,
  ) {}

  async tenants(): Promise<string[]> {
    const rows = await this.tx.query<{ id: string }>('SELECT id FROM tenants ORDER BY id');
    return rows.map((r) => r.id);
  }

  /**
   * Takes the tenant's sealing turn for this transaction, if no other instance holds it: the
   * one thing sealers ever wait for, and never a writer.
   */
  async tryLock(tenant: string): Promise<boolean> {
    const [{ locked }] = await this.tx.query<{ locked: boolean }>(
      `SELECT pg_try_advisory_xact_lock(hashtextextended('audit-seal:' || $1, 0)) AS locked`,
      [tenant],
    );
    return locked;
  }

  async last(tenant: string): Promise<AuditSealRow | undefined> {
    const rows = await this.tx.query<AuditSealRow>(
      `SELECT ${SEAL_COLUMNS} FROM audit_seals s WHERE s.tenant_id = $1 ORDER BY s.seq DESC LIMIT 1`,
      [tenant],
    );
    return rows[0];
  }

  /**
   * Records after the last sealed one in commit order whose transactions have all ended:
   * those below the snapshot's xmin. Every transaction that can still commit a record has an
   * id at or above it, so nothing can later appear before a sealed position.
   */
  async pending(
    tenant: string,
    after: { xactId: string; id: string },
    limit: number,
  ): Promise<SealableRecord[]> {
    return this.tx.query<SealableRecord>(
      `SELECT r.id, r.xact_id::text AS xact_id, rtrim(r.hash) AS hash,
              to_char(r.created AT TIME ZONE 'UTC', 'YYYY-MM') AS month
       FROM audit_records r
       WHERE r.tenant_id = $1 AND (r.xact_id, r.id) > ($2::xid8, $3::uuid)
         AND r.xact_id < pg_snapshot_xmin(pg_current_snapshot())
       ORDER BY r.xact_id, r.id LIMIT $4`,
      [tenant, after.xactId, after.id, limit],
    );
  }

  async insert(seal: AuditSealRow): Promise<void> {
    await this.tx.query(
      `INSERT INTO audit_seals (id, tenant_id, seq, first_xact_id, first_record_id, last_xact_id,
         last_record_id, record_count, previous_hash, root, sealed, key_id, signature)
       VALUES ($1, $2, $3, $4::xid8, $5, $6::xid8, $7, $8, $9, $10, $11, $12, $13)`,
      [
        seal.id,
        seal.tenant_id,
        seal.seq,
        seal.first_xact_id,
        seal.first_record_id,
        seal.last_xact_id,
        seal.last_record_id,
        seal.record_count,
        seal.previous_hash,
        seal.root,
        seal.sealed,
        seal.key_id,
        seal.signature,
      ],
    );
  }

  /** The seal that covers a record, and the hashes of its records in order (for a proof). */
  async sealOf(
    tenant: string,
    recordId: string,
  ): Promise<{ seal: AuditSealRow; records: { id: string; hash: string }[] } | undefined> {
    const seals = await this.search.query<AuditSealRow>(
      `SELECT ${SEAL_COLUMNS} FROM audit_records r
       JOIN LATERAL (SELECT * FROM audit_seals s WHERE s.tenant_id = r.tenant_id
         AND (s.last_xact_id, s.last_record_id) >= (r.xact_id, r.id)
         ORDER BY s.tenant_id, s.last_xact_id, s.last_record_id LIMIT 1) s ON true
       WHERE r.tenant_id = $1 AND r.id = $2`,
      [tenant, recordId],
    );
    const seal = seals[0];
    if (!seal) return undefined;
    const rows = await this.search.query<{ id: string; hash: string }>(
      `SELECT r.id, rtrim(r.hash) AS hash FROM audit_records r
       WHERE r.tenant_id = $1
         AND (r.xact_id, r.id) >= ($2::xid8, $3::uuid) AND (r.xact_id, r.id) <= ($4::xid8, $5::uuid)
       ORDER BY r.xact_id, r.id`,
      [tenant, seal.first_xact_id, seal.first_record_id, seal.last_xact_id, seal.last_record_id],
    );
    return { seal, records: rows };
  }
}
