import { digestSecret, generateSecret, hashPassword, verifySecret } from './secrets';

describe('secrets', () => {
  it('generates 256-bit secrets', () => {
    expect(Buffer.from(generateSecret(), 'base64url')).toHaveLength(32);
    expect(generateSecret()).not.toEqual(generateSecret());
  });

  it.each(['generated', 'chosen'] as const)('verifies a %s secret by its digest only', (kind) => {
    const digest = digestSecret('s3cret-value-long-enough', kind);
    expect(digest).not.toContain('s3cret');
    expect(verifySecret('s3cret-value-long-enough', digest)).toBe(true);
    expect(verifySecret('s3cret-value-long-enougH', digest)).toBe(false);
    expect(verifySecret('', digest)).toBe(false);
  });

  it('refuses an unknown digest format', () => {
    expect(verifySecret('x', 'plain:x')).toBe(false);
  });

  it('hashes a password so the same check verifies it', async () => {
    const digest = await hashPassword('correct horse battery staple');
    expect(digest).toMatch(/^scrypt:[0-9a-f]{32}:[0-9a-f]{64}$/);
    expect(verifySecret('correct horse battery staple', digest)).toBe(true);
    expect(verifySecret('correct horse battery stapler', digest)).toBe(false);
  });
});
