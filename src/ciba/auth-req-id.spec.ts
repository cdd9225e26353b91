import { isAuthReqId, newAuthReqId } from './auth-req-id';

describe('auth_req_id', () => {
  it('is 32 characters of Crockford base32 (160 bits)', () => {
    const id = newAuthReqId();
    expect(id).toMatch(/^[0-9A-HJKMNP-TV-Z]{32}$/);
    expect(isAuthReqId(id)).toBe(true);
  });

  it('does not repeat and uses the whole alphabet', () => {
    const ids = Array.from({ length: 2000 }, newAuthReqId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(ids.join('')).size).toBe(32);
  });

  it.each(['', 'abc', 'O'.repeat(32), 'A'.repeat(31), 'a'.repeat(32), 42, undefined])(
    'refuses %j',
    (v) => {
      expect(isAuthReqId(v)).toBe(false);
    },
  );
});
