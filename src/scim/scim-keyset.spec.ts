import { SqlParams } from './filter';
import { KeysetOrder, keysetAfter, keysetKeyColumn, keysetOrderBy } from './scim-keyset';

const created: KeysetOrder = {
  key: 'r.created',
  type: 'dateTime',
  nullable: false,
  id: 'r.id',
  direction: 'ASC',
};
const message: KeysetOrder = {
  key: 'lower(r.message) COLLATE "C"',
  type: 'string',
  nullable: true,
  id: 'r.id',
  direction: 'DESC',
};
const ID = '0193b6c4-0000-7000-8000-000000000001';

describe('keyset paging SQL', () => {
  it('orders by the key, then the id, NULLs last where the key can be NULL', () => {
    expect(keysetOrderBy(created)).toBe('r.created ASC, r.id ASC');
    expect(keysetOrderBy(message)).toBe('lower(r.message) COLLATE "C" DESC NULLS LAST, r.id DESC');
    expect(keysetKeyColumn(message)).toBe('(lower(r.message) COLLATE "C")::text');
  });

  it('continues a non-null key with a row comparison an index can serve', () => {
    const params = new SqlParams(4);
    expect(keysetAfter(created, { key: '2025-01-01 00:00:00+00', id: ID }, params)).toBe(
      '(r.created, r.id) > ($5::timestamptz, $4::uuid)',
    );
    expect(params.values).toEqual([ID, '2025-01-01 00:00:00+00']);
  });

  it('lets the NULLs that sort last follow a non-null key', () => {
    const params = new SqlParams(2);
    expect(keysetAfter(message, { key: 'abc', id: ID }, params)).toBe(
      '((lower(r.message) COLLATE "C", r.id) < ($3::text, $2::uuid) OR lower(r.message) COLLATE "C" IS NULL)',
    );
  });

  it('continues among the NULLs by id once the key is NULL', () => {
    const params = new SqlParams(2);
    expect(keysetAfter(message, { key: null, id: ID }, params)).toBe(
      '(lower(r.message) COLLATE "C" IS NULL AND r.id < $2::uuid)',
    );
    expect(params.values).toEqual([ID]);
  });

  it('binds cursor values, never splices them', () => {
    const params = new SqlParams(2);
    const sql = keysetAfter(message, { key: "x') OR 1=1 --", id: ID }, params);
    expect(sql).not.toContain('OR 1=1');
    expect(params.values).toContain("x') OR 1=1 --");
  });
});
