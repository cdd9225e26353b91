import { digestSecret, generateSecret, verifySecret } from './secrets';

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
});
