import { KeyLike } from 'jose';
import type { AuditActionParameters } from './audit-actions';
import { AuditSealRow, sealHash, sealSignatureValid } from './audit-seal';
import { MerkleRootBuilder } from './merkle';
import { RecordChecker, RENDERING_DIFFERS, TrailRecordRow } from './record-check';
import { HashedRecordFields, macMatches, RecordKey, recordHash } from './record-integrity';

/** A record as the verifier reads it: its stored fields, hash, MAC and commit order. */
export interface VerifiedRecordRow extends HashedRecordFields {
  hash: string;
  mac: string | null;
  mac_key_id: string | null;
  xact_id: string;
}

/** A record's place in commit order: (writing transaction, id). */
export interface TrailPosition {
  xactId: string;
  id: string;
}

export const TRAIL_START: TrailPosition = {
  xactId: '0',
  id: '00000000-0000-0000-0000-000000000000',
};

/** Where the verifier reads from: seals by seq, records by commit order after a position. */
export interface TrailSource {
  /** Seals of the tenant in seq order, from `fromSeq` on. */
  seals(fromSeq: bigint): AsyncIterable<AuditSealRow>;
  /** The seal with this seq, to link a partial check to the chain before it. */
  seal(seq: bigint): Promise<AuditSealRow | undefined>;
  /** The first seq sealed at or after `time`; undefined when none. */
  firstSeqFrom(time: string): Promise<bigint | undefined>;
  /** Records after `after` in commit order, in batches (as they arrive from the database). */
  records(after: TrailPosition): AsyncIterable<TrailRecordRow[]>;
  /** One record's full row, to check it the generic way when its rendered text differs. */
  record(id: string): Promise<VerifiedRecordRow | undefined>;
  /** What retention dropped (`purgeAuditRecords` records), oldest first. */
  purges?(): Promise<TrailPurge[]>;
}

/**
 * A month of the trail that retention dropped, as its `purgeAuditRecords` record says (the
 * catalogue's parameters; `seals` names the seals whose records it held, as seq ranges:
 * `1-40,43-43`).
 */
export type TrailPurge = Omit<AuditActionParameters['purgeAuditRecords'], 'lastSealId'> & {
  recordId: string;
};

export interface VerifyOptions {
  /** Check seals sealed from this instant (ISO 8601) on; the chain before is trusted. */
  from?: string;
  /** Check only seals sealed before this instant; unsealed records are then left out. */
  to?: string;
}

export interface TrailFailure {
  recordId?: string;
  sealId?: string;
  reason: string;
}

export interface VerifyReport {
  verified: boolean;
  checkedRecords: number;
  checkedSeals: number;
  unsealedRecords: number;
  /** Whether record MACs were checked (an offline check may go without the record key). */
  macsChecked: boolean;
  firstFailure: TrailFailure | null;
  /**
   * Months retention dropped, present only when there were any: their seals are checked
   * (chain and signature) without their records, which are gone by design, not missing.
   */
  purges?: TrailPurge[];
}

export interface VerifierKeys {
  /** Record keys by id; absent: MACs are not checked (only a trail's owner holds the key). */
  recordKeys?: Map<string, RecordKey>;
  sealingKeys: Map<string, KeyLike>;
}

class Failed extends Error {
  constructor(readonly failure: TrailFailure) {
    super(failure.reason);
  }
}

/**
 * Commit order of a record against a position. xid8 text has no leading zeros, so the longer
 * number is the larger one: no BigInt per record.
 */
const compare = (r: TrailRecordRow, b: TrailPosition): number => {
  const [x, y] = [r.xact_id, b.xactId];
  if (x !== y) return x.length !== y.length ? x.length - y.length : x < y ? -1 : 1;
  return r.id < b.id ? -1 : r.id > b.id ? 1 : 0;
};

/**
 * One record on its own: its hash recomputed from its stored content (never by the
 * database's function, which whoever owns the schema could replace), then its MAC. A record
 * written before MACs existed (`xact_id` 0, from the upgrade) has none.
 */
export function checkRecord(r: VerifiedRecordRow, keys: VerifierKeys): string | undefined {
  if (recordHash(r) !== r.hash.trimEnd()) return 'its content does not match its hash';
  if (!keys.recordKeys) return undefined;
  if (r.mac === null || r.mac_key_id === null) {
    return r.xact_id === '0' ? undefined : 'it has no MAC: it was not written by the service';
  }
  const key = keys.recordKeys.get(r.mac_key_id);
  if (!key) return `its MAC key ${r.mac_key_id} is unknown`;
  if (!macMatches(key, r.tenant_id, r.id, r.hash.trimEnd(), r.mac)) {
    return 'its MAC does not match: it was written or rewritten without the record key';
  }
  return undefined;
}

/**
 * Walks a tenant's seals in order and, under each, its records in commit order: every
 * record's hash and MAC, every seal's count, range, Merkle root, link to the previous seal
 * and signature; then the records not sealed yet. Reads as it goes (the source pages), so
 * memory does not grow with the trail. The first failure found is the answer.
 */
export async function verifyTrail(
  tenant: string,
  source: TrailSource,
  keys: VerifierKeys,
  options: VerifyOptions = {},
): Promise<VerifyReport> {
  const report: VerifyReport = {
    verified: true,
    checkedRecords: 0,
    checkedSeals: 0,
    unsealedRecords: 0,
    macsChecked: keys.recordKeys !== undefined,
    firstFailure: null,
  };
  try {
    const purges = (await source.purges?.()) ?? [];
    if (purges.length > 0) report.purges = purges;
    const purged = purgedSeals(purges);
    let seq = 1n;
    let previousHash: string | null = null;
    let position = TRAIL_START;
    if (options.from) {
      const first = await source.firstSeqFrom(options.from);
      if (first === undefined) seq = -1n;
      else if (first > 1n) {
        const before = await source.seal(first - 1n);
        if (!before) throw new Failed({ reason: `seal ${first - 1n} is missing` });
        await checkSignature(before, keys);
        seq = first;
        previousHash = sealHash(before);
        position = { xactId: before.last_xact_id, id: before.last_record_id };
      }
    }
    const records = new RecordCursor(source.records(position)[Symbol.asyncIterator]());
    const checker = new RecordChecker(tenant, keys.recordKeys);
    // A record's check is synchronous; only a rendered text that differs awaits its full row.
    const verdictOf = (r: TrailRecordRow) =>
      r.tenant_id !== tenant ? 'it belongs to another tenant' : checker.check(r);
    const settle = async (r: TrailRecordRow, verdict: string | typeof RENDERING_DIFFERS) => {
      const reason =
        verdict === RENDERING_DIFFERS ? await checkFullRow(r.id, source, checker) : verdict;
      if (reason) throw new Failed({ recordId: r.id, reason });
    };
    if (seq > 0n) {
      for await (const seal of source.seals(seq)) {
        if (options.to && seal.sealed >= options.to) break;
        if (BigInt(seal.seq) !== seq) {
          throw new Failed({ sealId: seal.id, reason: `seal ${seq} is missing before this one` });
        }
        if (seal.tenant_id !== tenant)
          throw new Failed({ sealId: seal.id, reason: 'another tenant' });
        if (seal.previous_hash !== previousHash) {
          throw new Failed({ sealId: seal.id, reason: 'it does not chain to the previous seal' });
        }
        await checkSignature(seal, keys);
        const last = { xactId: seal.last_xact_id, id: seal.last_record_id };
        if (purged.has(seal.seq)) {
          // Its records were in a dropped month; any still there (the drop not done yet)
          // are checked one by one.
          let r = records.take() ?? (await records.load());
          for (; r && compare(r, last) <= 0; r = records.take() ?? (await records.load())) {
            const verdict = verdictOf(r);
            if (verdict !== undefined) await settle(r, verdict);
            report.checkedRecords++;
          }
          if (r) records.back();
          report.checkedSeals++;
          previousHash = sealHash(seal);
          seq++;
          continue;
        }
        const root = new MerkleRootBuilder();
        for (let i = 0; i < seal.record_count; i++) {
          // Within a batch a record is taken synchronously; only a new batch is awaited.
          const r = records.take() ?? (await records.load());
          if (!r || compare(r, last) > 0) {
            if (r) records.back();
            throw new Failed({
              sealId: seal.id,
              reason: `a sealed record is missing (${i} of ${seal.record_count} found)`,
            });
          }
          if (i === 0 && r.id !== seal.first_record_id) {
            throw new Failed({
              sealId: seal.id,
              recordId: r.id,
              reason: 'its first record is not the one sealed (inserted or missing record)',
            });
          }
          const verdict = verdictOf(r);
          if (verdict !== undefined) await settle(r, verdict);
          report.checkedRecords++;
          root.addBinary(checker.leaf);
        }
        const after = records.take() ?? (await records.load());
        if (after && compare(after, last) <= 0) {
          const verdict = verdictOf(after);
          if (verdict !== undefined) await settle(after, verdict);
          throw new Failed({
            sealId: seal.id,
            recordId: after.id,
            reason: 'a record was inserted into the sealed range',
          });
        }
        if (after) records.back();
        if (root.count === 0 || root.root() !== seal.root.trimEnd()) {
          throw new Failed({
            sealId: seal.id,
            reason: 'its records do not match its root (reordered or changed records)',
          });
        }
        report.checkedSeals++;
        previousHash = sealHash(seal);
        seq++;
      }
    }
    if (!options.to) {
      for (let r = records.take() ?? (await records.load()); r;) {
        // Records from before MACs existed are all sealed by the first seal: one that shows
        // up unsealed after it was made to look old.
        if (r.xact_id === '0' && previousHash !== null && r.mac === null) {
          throw new Failed({ recordId: r.id, reason: 'an unsealed record without a MAC' });
        }
        const verdict = verdictOf(r);
        if (verdict !== undefined) await settle(r, verdict);
        report.checkedRecords++;
        report.unsealedRecords++;
        r = records.take() ?? (await records.load());
      }
    }
  } catch (error) {
    if (!(error instanceof Failed)) throw error;
    report.verified = false;
    report.firstFailure = error.failure;
  }
  return report;
}

/**
 * The seqs the purges name (`1-40,43-43` each), kept as ranges: a month may hold millions
 * of seals, and its ranges are few (a seal never spans two months).
 */
function purgedSeals(purges: TrailPurge[]): { has(seq: string): boolean } {
  const ranges = purges.flatMap((purge) =>
    purge.seals
      .split(',')
      .filter(Boolean)
      .map((range) => {
        const [from, to] = range.split('-').map((n) => BigInt(n));
        return [from, to ?? from] as const;
      }),
  );
  return {
    has: (seq) => ranges.some(([from, to]) => BigInt(seq) >= from && BigInt(seq) <= to),
  };
}

/**
 * A record whose text as the statement rendered it does not give its stored hash: its hash
 * recomputed the generic way from its full row (as the service computed it), then its MAC.
 */
async function checkFullRow(
  id: string,
  source: TrailSource,
  checker: RecordChecker,
): Promise<string | undefined> {
  const full = await source.record(id);
  if (!full || recordHash(full) !== full.hash.trimEnd()) {
    return 'its content does not match its hash';
  }
  return checker.checkMacOf(full);
}

/** The records of a trail, a batch at a time: taking one within a batch allocates nothing. */
class RecordCursor {
  private rows: TrailRecordRow[] = [];
  private index = 0;

  constructor(private readonly batches: AsyncIterator<TrailRecordRow[]>) {}

  /** The next record of the current batch; undefined when the batch is used up. */
  take(): TrailRecordRow | undefined {
    return this.index < this.rows.length ? this.rows[this.index++] : undefined;
  }

  /** Awaits the next batch and takes its first record; undefined at the end of the trail. */
  async load(): Promise<TrailRecordRow | undefined> {
    for (;;) {
      const batch = await this.batches.next();
      if (batch.done) return undefined;
      this.rows = batch.value;
      this.index = 0;
      const r = this.take();
      if (r) return r;
    }
  }

  /** Gives back the record just taken: the next take answers it again. */
  back(): void {
    this.index--;
  }
}

async function checkSignature(seal: AuditSealRow, keys: VerifierKeys): Promise<void> {
  if (!(await sealSignatureValid(seal, keys.sealingKeys))) {
    throw new Failed({
      sealId: seal.id,
      reason: keys.sealingKeys.has(seal.key_id)
        ? 'its signature does not verify'
        : `its sealing key ${seal.key_id} is not a published one`,
    });
  }
}
