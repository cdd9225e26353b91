import { Inject, Injectable } from '@nestjs/common';
import { KeyLike } from 'jose';
import { ApiError, scimError } from '../common/api-error';
import { isUuid } from '../common/uuid';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { SearchDatabase } from '../database/search-database';
import { AuditKeysService } from './audit-keys.service';
import { sealingKeysFromJwks } from './audit-seal';
import { AuditSealsRepository } from './audit-seals.repository';
import { sqlTrailSource, VERIFIED_RECORD_COLUMNS } from './audit-trail-source';
import {
  checkRecord,
  VerifiedRecordRow,
  VerifierKeys,
  VerifyReport,
  verifyTrail,
} from './audit-verifier';
import { AuditService } from './audit.service';
import { inclusionProof, leafHash } from './merkle';

/** A sealed record's place under its seal: enough to check it against the seal's root. */
export interface RecordSealProof {
  id: string;
  seq: number;
  root: string;
  /** The record's leaf index among the seal's records, and their number. */
  index: number;
  count: number;
  /** RFC 6962 audit path, bottom up (hex). */
  proof: string[];
}

/** When to come back after a refusal: a walk of a large trail takes seconds. */
const VERIFY_RETRY_AFTER_SECONDS = 5;

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * The trail's verification for the API (`.verify`, seal proofs, Events' `tainted`): one
 * verifier (audit-verifier.ts), fed from the search connections page by page, with the
 * service's keys.
 */
@Injectable()
export class AuditIntegrityService {
  private sealingKeys?: Map<string, KeyLike>;
  /** The walk running for each tenant, by its range: a trail is walked once at a time. */
  private readonly running = new Map<string, { range: string; report: Promise<VerifyReport> }>();

  constructor(
    private readonly db: SearchDatabase,
    private readonly keys: AuditKeysService,
    private readonly seals: AuditSealsRepository,
    private readonly audit: AuditService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async verify(tenant: string, from?: unknown, to?: unknown): Promise<VerifyReport> {
    const options = { from: instant('from', from), to: instant('to', to) };
    const report = await this.walkOnce(tenant, options);
    if (this.config.auditLogAccess) {
      await this.audit.record('verifyAuditRecords', {
        parameters: {
          from: options.from,
          to: options.to,
          verified: String(report.verified),
          checkedRecords: report.checkedRecords,
          checkedSeals: report.checkedSeals,
          failedRecordId: report.firstFailure?.recordId,
          failedSealId: report.firstFailure?.sealId,
        },
      });
    }
    return report;
  }

  /**
   * A walk reads the whole range, so calls that arrive while one runs for the same tenant
   * share it (the same range) or are told to come back (another range): repeated calls
   * never multiply the work, and none waits unbounded behind a queue.
   */
  private walkOnce(tenant: string, options: { from?: string; to?: string }): Promise<VerifyReport> {
    const range = `${options.from ?? ''}/${options.to ?? ''}`;
    const current = this.running.get(tenant);
    if (current?.range === range) return current.report;
    if (current) {
      throw new ApiError(
        429,
        'too_many_requests',
        "A verification of another range of this tenant's trail is running; retry when it has ended",
        {
          headers: { 'Retry-After': String(VERIFY_RETRY_AFTER_SECONDS) },
          coalesceKey: `verify\u0000${tenant}`,
        },
      );
    }
    const source = sqlTrailSource(
      {
        query: (text, params) => this.db.query(text, params),
        stream: (text, params, onRow) => this.db.stream(text, params, onRow),
      },
      tenant,
    );
    const report = this.verifierKeys()
      .then((keys) => verifyTrail(tenant, source, keys, options))
      .finally(() => this.running.delete(tenant));
    this.running.set(tenant, { range, report });
    return report;
  }

  /** The seal covering a record and the record's inclusion proof; undefined while unsealed. */
  async proofOf(tenant: string, recordId: string): Promise<RecordSealProof | undefined> {
    if (!isUuid(recordId)) return undefined;
    const found = await this.seals.sealOf(tenant, recordId);
    if (!found) return undefined;
    const index = found.records.findIndex((r) => r.id === recordId);
    if (index < 0) return undefined;
    const leaves = found.records.map((r) => leafHash(r.hash));
    return {
      id: found.seal.id,
      seq: Number(found.seal.seq),
      root: found.seal.root.trimEnd(),
      index,
      count: leaves.length,
      proof: inclusionProof(leaves, index),
    };
  }

  /**
   * Whether any record matching an Events filter fails its own check (hash and MAC): read
   * in pages by commit order, stopping at the first.
   */
  async anyTainted(tenant: string, q: { filter?: string; params: unknown[] }): Promise<boolean> {
    const keys = await this.verifierKeys();
    const n = q.params.length;
    const sql = `SELECT ${VERIFIED_RECORD_COLUMNS} FROM audit_records r
      WHERE r.tenant_id = $1 ${q.filter ? `AND (${q.filter})` : ''}
        AND (r.xact_id, r.id) > ($${n + 2}::xid8, $${n + 3}::uuid)
      ORDER BY r.xact_id, r.id LIMIT 2000`;
    let after = ['0', '00000000-0000-0000-0000-000000000000'];
    for (;;) {
      const rows = await this.db.query<VerifiedRecordRow>(sql, [tenant, ...q.params, ...after]);
      if (rows.some((r) => checkRecord(r, keys) !== undefined)) return true;
      if (rows.length < 2000) return false;
      const last = rows[rows.length - 1];
      after = [last.xact_id, last.id];
    }
  }

  private async verifierKeys(): Promise<VerifierKeys> {
    this.sealingKeys ??= await sealingKeysFromJwks(this.keys.publicJwks());
    return { recordKeys: this.keys.recordKeyMap(), sealingKeys: this.sealingKeys };
  }
}

function instant(name: string, value: unknown): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string' || !ISO_INSTANT.test(value) || Number.isNaN(Date.parse(value))) {
    throw scimError(400, 'invalidValue', `${name} must be an ISO 8601 instant with a time zone`);
  }
  return new Date(value).toISOString();
}
