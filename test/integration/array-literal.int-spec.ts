import { arrayLiteral } from '../../src/database/array-literal';
import { useTestApp } from '../utils/suite';

/** PostgreSQL reads arrayLiteral's text as the driver's own array parameter. */
describe('arrayLiteral against the database', () => {
  const s = useTestApp({ tenants: 1, adminToken: false });

  it('gives back every element as sent, the awkward ones too', async () => {
    const values = [
      '019a0000-0000-7000-8000-000000000001',
      '2026-12-04T16:20:28.138Z',
      null,
      'null',
      'NULL',
      '',
      ' lead and trail ',
      'a,b',
      '{x}',
      'quote " and \\ backslash',
      'tab\there',
      'line\nbreak',
      'ünïcødé ✓',
      'user+tag@example.com',
    ];
    const [row] = (await s.t.db.query('SELECT $1::text[] AS ours, $2::text[] AS driver', [
      arrayLiteral(values),
      values,
    ])) as { ours: (string | null)[]; driver: (string | null)[] }[];
    expect(row.ours).toEqual(values);
    expect(row.driver).toEqual(values);
    const [ids] = (await s.t.db.query('SELECT cardinality($1::uuid[]) AS n', [
      arrayLiteral(['019a0000-0000-7000-8000-000000000001', null]),
    ])) as { n: number }[];
    expect(ids.n).toBe(2);
  });
});
