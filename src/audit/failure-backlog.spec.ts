import { AppConfig } from '../config/app-config';
import { AuditRecordsRepository, NewAuditRecord } from './audit-records.repository';
import { FailureBacklog } from './failure-backlog';

const row = (id: string) => ({ id, tenant_id: 't', action_name: 'createUser' }) as NewAuditRecord;

function backlog(max: number, insert: (rows: NewAuditRecord[]) => Promise<void>) {
  const records = { insertAbsent: insert } as unknown as AuditRecordsRepository;
  return new FailureBacklog(records, { auditBacklogMax: max } as AppConfig);
}

describe('FailureBacklog', () => {
  it('keeps records in order until the database takes them', async () => {
    let up = false;
    const written: string[] = [];
    const b = backlog(10, async (rows) => {
      if (!up) throw new Error('Connection terminated unexpectedly');
      written.push(...rows.map((r) => r.id));
    });
    b.add(row('a'));
    b.add(row('b'));
    await b.flush();
    expect(b.size).toBe(2);
    up = true;
    await b.flush();
    expect(written).toEqual(['a', 'b']);
    expect(b.size).toBe(0);
    expect(await b.registry.metrics()).toMatch(/^audit_failure_records_backlog 0$/m);
  });

  it('drops the oldest beyond its bound and counts them', async () => {
    const b = backlog(2, () => Promise.reject(new Error('down')));
    for (const id of ['a', 'b', 'c', 'd']) b.add(row(id));
    expect(b.size).toBe(2);
    const metrics = await b.registry.metrics();
    expect(metrics).toMatch(/^audit_failure_records_dropped_total 2$/m);
    expect(metrics).toMatch(/^audit_failure_records_backlog 2$/m);
  });
});
