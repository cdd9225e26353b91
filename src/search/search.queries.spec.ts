import { searchResult, searchStatement } from './search.queries';

const table = { from: 'audit_records r', tenantColumn: 'r.tenant_id', columns: 'r.id, r.coi' };

describe('searchStatement', () => {
  it('counts and pages in one statement, the tenant first and the filter one term', () => {
    const { sql, params } = searchStatement(table, 'acme', {
      filter: 'r.coi = $2 OR r.coi = $3',
      after: '(r.created, r.id) > ($4::timestamptz, $5::uuid)',
      orderBy: 'r.created ASC, r.id ASC',
      keyColumn: '(r.created)::text',
      params: ['a', 'b', '2025-01-01', '0193b6c4-0000-7000-8000-000000000001'],
      offset: 0,
      limit: 11,
    });
    const compact = sql.replace(/\s+/g, ' ');
    expect(compact).toContain(
      'SELECT count(*)::int AS search_total FROM audit_records r WHERE r.tenant_id = $1 AND (r.coi = $2 OR r.coi = $3)',
    );
    expect(compact).toContain(
      'WHERE r.tenant_id = $1 AND (r.coi = $2 OR r.coi = $3) AND (r.created, r.id) > ($4::timestamptz, $5::uuid) ORDER BY r.created ASC, r.id ASC OFFSET $6 LIMIT $7',
    );
    expect(params).toEqual([
      'acme',
      'a',
      'b',
      '2025-01-01',
      '0193b6c4-0000-7000-8000-000000000001',
      0,
      11,
    ]);
  });

  it('applies only the tenant when there is no filter', () => {
    const { sql } = searchStatement(table, 'acme', {
      orderBy: 'r.created ASC, r.id ASC',
      keyColumn: '(r.created)::text',
      params: [],
      offset: 5,
      limit: 0,
    });
    expect(sql.replace(/\s+/g, ' ')).toContain('FROM audit_records r WHERE r.tenant_id = $1) AS t');
  });
});

describe('searchResult', () => {
  it('takes the total from the statement and drops the empty page row', () => {
    expect(searchResult([{ search_total: 7, id: null }])).toEqual({ rows: [], total: 7 });
    expect(
      searchResult([
        { search_total: 2, id: 'a', coi: 'x' },
        { search_total: 2, id: 'b', coi: null },
      ]),
    ).toEqual({
      rows: [
        { id: 'a', coi: 'x' },
        { id: 'b', coi: null },
      ],
      total: 2,
    });
  });
});
