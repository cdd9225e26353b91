import { ApiError } from '../common/api-error';
import { CURSOR_TIMEOUT_SECONDS, CursorBinding, openCursor, sealCursor } from './scim-cursor';

const secret = Buffer.alloc(32, 7);
const binding: CursorBinding = {
  tenant: 'acme',
  resource: 'AuditRecords',
  filter: 'correlationId eq "x"',
  sortOrder: 'ASC',
};
const position = { key: '2025-01-01 00:00:00.123+00', id: '0193b6c4-0000-7000-8000-000000000001' };
const NOW = 1_750_000_000;

function errorOf(run: () => unknown): ApiError {
  try {
    run();
  } catch (e) {
    if (e instanceof ApiError) return e;
    throw e;
  }
  throw new Error('expected an ApiError');
}

describe('search cursors', () => {
  const cursor = sealCursor(secret, binding, position, NOW);

  it('round-trips a position, NULL keys included', () => {
    expect(openCursor(secret, binding, cursor, NOW + 10)).toEqual(position);
    const nullKey = sealCursor(secret, binding, { ...position, key: null }, NOW);
    expect(openCursor(secret, binding, nullKey, NOW).key).toBeNull();
  });

  it('is URL-safe text', () => {
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
  });

  it.each<[string, Partial<CursorBinding>]>([
    ['another tenant', { tenant: 'other' }],
    ['another resource', { resource: 'Users' }],
    ['another filter', { filter: 'correlationId eq "y"' }],
    ['no filter', { filter: undefined }],
    ['another sortBy', { sortBy: 'message' }],
    ['another sortOrder', { sortOrder: 'DESC' }],
  ])('refuses it for %s', (_label, change) => {
    const error = errorOf(() => openCursor(secret, { ...binding, ...change }, cursor, NOW));
    expect(error).toMatchObject({ status: 400, options: { scimType: 'invalidCursor' } });
  });

  it('ignores the case of sortBy, as attribute names do', () => {
    const sorted = sealCursor(secret, { ...binding, sortBy: 'Message' }, position, NOW);
    expect(openCursor(secret, { ...binding, sortBy: 'message' }, sorted, NOW)).toEqual(position);
  });

  it.each([
    [
      'a forged payload',
      (c: string) =>
        `${Buffer.from('{"q":"x","k":null,"i":"0193b6c4-0000-7000-8000-000000000001","e":9999999999}').toString('base64url')}.${c.split('.')[1]}`,
    ],
    ['a changed signature', (c: string) => `${c.split('.')[0]}.${'A'.repeat(43)}`],
    ['no signature', (c: string) => c.split('.')[0]],
    ['garbage', () => 'not a cursor'],
    ['an empty body', (c: string) => `.${c.split('.')[1]}`],
    ['an overlong cursor', () => 'a'.repeat(5000)],
  ])('refuses %s as invalidCursor', (_label, mutate) => {
    const error = errorOf(() => openCursor(secret, binding, mutate(cursor), NOW));
    expect(error.options.scimType).toBe('invalidCursor');
  });

  it('refuses a signed cursor whose content is not a position', () => {
    const other = sealCursor(secret, binding, { key: 'x', id: 'not-a-uuid' }, NOW);
    expect(errorOf(() => openCursor(secret, binding, other, NOW)).options.scimType).toBe(
      'invalidCursor',
    );
  });

  it('expires after the cursor timeout', () => {
    expect(openCursor(secret, binding, cursor, NOW + CURSOR_TIMEOUT_SECONDS - 1)).toEqual(position);
    const error = errorOf(() => openCursor(secret, binding, cursor, NOW + CURSOR_TIMEOUT_SECONDS));
    expect(error).toMatchObject({ status: 400, options: { scimType: 'expiredCursor' } });
  });

  it('depends on the secret', () => {
    const error = errorOf(() => openCursor(Buffer.alloc(32, 8), binding, cursor, NOW));
    expect(error.options.scimType).toBe('invalidCursor');
  });
});
