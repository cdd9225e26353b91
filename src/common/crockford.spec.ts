import { CROCKFORD_ALPHABET, randomCrockford } from './crockford';

describe('randomCrockford', () => {
  it('makes ids of the asked length from the Crockford alphabet only', () => {
    for (const length of [1, 7, 20, 32]) {
      const id = randomCrockford(length);
      expect(id).toHaveLength(length);
      expect(id).toMatch(new RegExp(`^[${CROCKFORD_ALPHABET}]+$`));
    }
  });

  it('does not repeat itself', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => randomCrockford(20)));
    expect(ids.size).toBe(1000);
  });
});
