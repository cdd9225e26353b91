import { digestSecret, generateSecret, hashPassword, needsRehash, verifySecret } from './secrets';

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
