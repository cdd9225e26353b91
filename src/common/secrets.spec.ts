import {
  digestSecret,
  generateSecret,
  hashPassword,
  isImportablePasswordHash,
  needsRehash,
  verifySecret,
} from './secrets';

describe('secrets', () => {
  it('generates 256-bit secrets', () => {
    expect(Buffer.from(generateSecret(), 'base64url')).toHaveLength(32);
    expect(generateSecret()).not.toEqual(generateSecret());
  });

  it('verifies a secret by its fast digest only', async () => {
    const digest = digestSecret('s3cret-value-long-enough');
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(needsRehash(digest)).toBe(false);
    expect(await verifySecret('s3cret-value-long-enough', digest)).toBe(true);
    expect(await verifySecret('s3cret-value-long-enougH', digest)).toBe(false);
    expect(await verifySecret('', digest)).toBe(false);
  });

  it('refuses an unknown digest format', async () => {
    expect(await verifySecret('x', 'plain:x')).toBe(false);
  });

  it('still verifies an older scrypt digest, off the event loop, and asks for a rehash', async () => {
    const digest = await hashPassword('correct horse battery staple');
    expect(digest).toMatch(/^scrypt:[0-9a-f]{32}:[0-9a-f]{64}$/);
    expect(needsRehash(digest)).toBe(true);
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 0);
    const checks = await Promise.all(
      Array.from({ length: 8 }, () => verifySecret('correct horse battery staple', digest)),
    );
    clearInterval(ticker);
    expect(checks.every(Boolean)).toBe(true);
    expect(ticks).toBeGreaterThan(0);
    expect(await verifySecret('correct horse battery stapler', digest)).toBe(false);
  });
});

describe('isImportablePasswordHash', () => {
  it.each([
    '$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG',
    '$argon2i$v=19$m=4096,t=3,p=1$c29tZXNhbHQ$iWh06vD8Fy27wf9npn6FXWiCX4K6pW6Ue1Bnzz07Z8A',
    '$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy',
    '$2a$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW',
    '$2y$04$abcdefghijklmnopqrstuu5ZV1KV8Xy6Y5f2Wv0mGcRMpH4x8H9rO',
    '$scrypt$ln=16,r=8,p=1$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD+iCs5E',
  ])('accepts %s', (hash) => {
    expect(isImportablePasswordHash(hash)).toBe(true);
  });

  it.each([
    'correct horse battery staple',
    '',
    '$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ',
    '$2b$10$short',
    '$2x$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy',
    '$scrypt$N=16384$salt$hash',
    '$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$Rdes\ncudv',
    'scrypt:00:11',
    '$1$saltsalt$hash',
    `$argon2id$v=19$m=65536,t=3,p=4$${'A'.repeat(600)}$AAAA`,
  ])('refuses %j', (hash) => {
    expect(isImportablePasswordHash(hash)).toBe(false);
  });
});
