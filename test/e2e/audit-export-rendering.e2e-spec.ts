import { createHash } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import { CSV_HEADER, csvRow } from '../../src/audit/audit-export';
import { bulkRecords } from '../utils/audit-seed';
import { useTestApp } from '../utils/suite';
import { uniqueId } from '../utils/test-app';

/**
 * The export's batches are rendered by the statement (audit-export.queries.ts). Its NDJSON
 * lines must be the records' JSON and its CSV rows exactly what csvRow, the reference, makes
 * of that JSON: values a spreadsheet would run, quotes, commas and line breaks, empty and
 * absent values, across batch boundaries, and a batch whose text mentions a seal (read again
 * per record).
 */
describe('AuditRecords .export rendering', () => {
  const s = useTestApp({ env: { EXPORT_BATCH_SIZE: '100' } });
  const cid = uniqueId('render');
  const awkward = [
    '=SUM(A1)',
    '+1',
    '-2',
    '@cmd',
    '\tTab',
    '\rCR',
    'a,b',
    'say "hi"',
    'two\nlines',
    'crlf\r\nend',
    '=1+2, "quoted"\nline',
    'é ✓ 𝄞 </script>',
    '',
  ];
  /** In the last batch only, so the others are rendered by the statement. */
  const mentionsSeal = 'mentions "seal": {"id": "x"}';

  beforeAll(async () => {
    await bulkRecords(s.t, 120, cid);
    for (const [i, text] of awkward.entries()) {
      await s.t.db.query(
        `INSERT INTO audit_records (id, tenant_id, correlation_id, request_id, coi, service_id,
           action_name, action_parameters, result, message, acting_user_id, target_user_id,
           target_user_immutable_id, trace_id, client, created, hash)
         VALUES ($1, $2, $3, $4, $5, 'CH_DIRECT', $6, '{}', 'RESPONSE_FAILURE', $7, $8, $9,
           $10, $11, $12, now(), '')`,
        [
          uuidv7(),
          s.t.tenant,
          cid,
          uuidv7(),
          i % 2 ? text : null,
          i % 3 ? 'updateUser' : text,
          i === 12 ? null : text,
          i % 4 ? text : null,
          i % 2 ? null : text,
          i % 3 ? text : null,
          i % 5 ? text : null,
          i % 2 ? JSON.stringify({ ipAddress: text, userAgent: 'x' }) : null,
        ],
      );
    }
    await bulkRecords(s.t, 100, cid);
    await bulkRecords(s.t, 1, cid, s.t.tenant, mentionsSeal);
  });

  const exportOf = (format: string) =>
    s.t.app.inject({
      method: 'GET',
      url: `/${s.t.tenant}/v2/AuditRecords/.export?format=${format}&filter=${encodeURIComponent(
        `correlationId eq "${cid}"`,
      )}`,
      headers: { authorization: `Bearer ${s.token}` },
    });

  it('renders NDJSON and CSV as the reference does, with manifests that count and hash them', async () => {
    const total = 120 + awkward.length + 100 + 1;
    const ndjson = await exportOf('ndjson');
    expect(ndjson.statusCode).toBe(200);
    const lines = ndjson.body.split('\n');
    expect(lines.pop()).toBe('');
    const manifest = JSON.parse(lines.pop()!);
    const records = lines.map((line) => JSON.parse(line) as { id: string; message: string });
    expect(records).toHaveLength(total);
    expect(records.map((r) => r.message).filter((m) => awkward.includes(m))).toEqual(
      awkward.filter((_, i) => i !== 12),
    );
    expect(records[total - 1].message).toBe(mentionsSeal);
    const body = lines.map((line) => `${line}\n`).join('');
    expect(manifest).toMatchObject({
      count: total,
      firstId: records[0].id,
      lastId: records[total - 1].id,
      sha256: createHash('sha256').update(body).digest('hex'),
    });
    expect(manifest.seals).toBeUndefined();

    const csv = await exportOf('csv');
    expect(csv.statusCode).toBe(200);
    expect(csv.body).toBe(CSV_HEADER + lines.map((line) => csvRow(line)).join(''));
    const trailer = JSON.parse(String(csv.trailers['x-export-manifest']));
    expect(trailer).toMatchObject({
      format: 'csv',
      count: total,
      firstId: manifest.firstId,
      lastId: manifest.lastId,
      sha256: createHash('sha256').update(csv.body).digest('hex'),
    });
  });
});
