import { AuditService } from '../../src/audit/audit.service';
import { inContext } from '../utils/service-context';
import { useTestApp } from '../utils/suite';
import { uniqueId } from '../utils/test-app';

/** Stamping a record against the database: the hash is that of what is stored. */
describe('audit records as stored', () => {
  const s = useTestApp({ adminToken: false });

  const stored = async (correlationId: string) =>
    (await s.t.db.query(
      `SELECT message, changes, hash = audit_record_hash(r) AS intact FROM audit_records r
       WHERE tenant_id = $1 AND correlation_id = $2 ORDER BY id`,
      [s.t.tenant, correlationId],
    )) as { message: string; changes: { after?: string }[]; intact: boolean }[];

  it('stores a lone surrogate as U+FFFD and hashes what it stored, a pair as it is', async () => {
    const correlationId = uniqueId('lone');
    const audit = s.t.app.get(AuditService);
    await inContext(
      s.t,
      async () => {
        await audit.record('createUser', {
          message: 'lone \ud800 here',
          changes: [{ attribute: 'displayName', op: 'add', after: 'x\udc00' }],
        });
        await audit.record('createUser', {
          message: 'pair \ud83d\ude00 and text \\ud800',
          changes: [{ attribute: 'displayName', op: 'add', after: '\ud83d\ude00' }],
        });
      },
      { correlationId },
    );
    const rows = await stored(correlationId);
    expect(rows.map((r) => [r.message, r.changes[0].after, r.intact])).toEqual([
      ['lone \ufffd here', 'x\ufffd', true],
      ['pair \ud83d\ude00 and text \\ud800', '\ud83d\ude00', true],
    ]);
  });
});
