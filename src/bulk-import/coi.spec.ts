import { COI_PATTERN, newCoi } from './coi';

describe('newCoi', () => {
  it('makes 20 upper-case Crockford base32 characters', () => {
    for (let i = 0; i < 200; i++) expect(newCoi()).toMatch(COI_PATTERN);
  });

  it('does not repeat and uses the whole alphabet', () => {
    const seen = new Set<string>();
    const chars = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const coi = newCoi();
      seen.add(coi);
      for (const c of coi) chars.add(c);
    }
    expect(seen.size).toBe(2000);
    expect(chars.size).toBe(32);
  });
});
