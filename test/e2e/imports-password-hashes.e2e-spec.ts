import { userBody } from '../factories/user';
import { IMPORT_TEST_ENV, postImport, waitForImport } from '../utils/imports';
import { recordsOfCoi } from '../utils/records';
import { useTestApp } from '../utils/suite';
import { TestApp } from '../utils/test-app';

const HASHES = {
  argon2id: '$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG',
  bcrypt: '$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy',
  bcrypt2y: '$2y$04$abcdefghijklmnopqrstuu5ZV1KV8Xy6Y5f2Wv0mGcRMpH4x8H9rO',
  scrypt:
    '$scrypt$ln=16,r=8,p=1$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD+iCs5E',
};

describe('pre-hashed passwords in user imports (API.md §8)', () => {
  const s = useTestApp({ env: IMPORT_TEST_ENV });
  let t: TestApp;
  beforeAll(() => (t = s.t));

  const storedHash = async (userName: string): Promise<string | null> =>
    (
      await t.db.query('SELECT password_hash FROM users WHERE tenant_id = $1 AND user_name = $2', [
        t.tenant,
        userName,
      ])
    )[0]?.password_hash;

  it('stores argon2id, bcrypt and scrypt hashes exactly as given, and never shows them', async () => {
    const users = Object.entries(HASHES).map(([kind, hash]) =>
      userBody(`hashed-${kind}`, { passwordHash: hash }),
    );
    const res = await postImport(t, 'Users', { users }, 'import-hashes');
    expect(res.statusCode).toBe(201);
    const status = await waitForImport(t, res.headers.location as string);
    expect(status).toMatchObject({ status: 'completed', nbImported: 4, nbFailed: 0 });
    for (const [kind, hash] of Object.entries(HASHES)) {
      expect(await storedHash(`hashed-${kind}`)).toBe(hash);
    }
    const read = await s.send({
      method: 'GET',
      url: `${s.users}?filter=${encodeURIComponent('userName sw "hashed-"')}`,
    });
    expect(read.json().totalResults).toBe(4);
    expect(read.body).not.toMatch(/passwordHash|\$argon2|\$2b\$|\$scrypt\$/i);
    const stored = await t.db.query(
      `SELECT resource::text AS r FROM users WHERE tenant_id = $1 AND user_name LIKE 'hashed-%'`,
      [t.tenant],
    );
    for (const { r } of stored) expect(r).not.toMatch(/passwordHash|\$argon2|\$2b\$/i);
    const records = JSON.stringify(await recordsOfCoi(t, res.json().correlationId));
    expect(records).not.toMatch(/\$argon2|\$2b\$|\$scrypt\$/);
  });

  it('fails only the item with a malformed hash, or with both a password and a hash', async () => {
    const res = await postImport(t, 'Users', {
      users: [
        userBody('hash-ok', { passwordHash: HASHES.bcrypt }),
        userBody('hash-plain', { passwordHash: 'correct horse battery staple' }),
        userBody('hash-both', { passwordHash: HASHES.bcrypt, password: 'secret-pass' }),
        userBody('hash-md5crypt', { passwordHash: '$1$saltsalt$qjXMvbEw8oaL.CzflDugX/' }),
      ],
    });
    const status = await waitForImport(t, res.headers.location as string);
    expect(status).toMatchObject({ nbImported: 1, nbFailed: 3 });
    expect(status.errors.map((e: any) => [e.index, e.status, e.scimType])).toEqual([
      [1, '400', 'invalidValue'],
      [2, '400', 'invalidValue'],
      [3, '400', 'invalidValue'],
    ]);
    expect(JSON.stringify(status)).not.toMatch(/correct horse|secret-pass/);
    expect(await storedHash('hash-ok')).toBe(HASHES.bcrypt);
    expect(await storedHash('hash-plain')).toBeUndefined();
  });

  it('POST /Users ignores a passwordHash, like any member its schema does not declare', async () => {
    const res = await s.send({
      method: 'POST',
      url: s.users,
      payload: userBody('direct-hash', { passwordHash: HASHES.bcrypt }),
    });
    expect(res.statusCode).toBe(201);
    expect(res.body).not.toMatch(/passwordHash|\$2b\$/);
    expect(await storedHash('direct-hash')).toBeNull();
  });
});
