import { arrayLiteral } from './array-literal';

describe('arrayLiteral', () => {
  it('writes ids, hashes and times bare, and quotes whatever needs it', () => {
    expect(arrayLiteral(['019a0000-0000-7000-8000-000000000001', 'ab12'])).toBe(
      '{019a0000-0000-7000-8000-000000000001,ab12}',
    );
    expect(arrayLiteral(['2026-12-04T16:20:28.138Z', null])).toBe(
      '{2026-12-04T16:20:28.138Z,NULL}',
    );
    expect(arrayLiteral(['null', 'NuLl', 'a b', 'x"y', 'c\\d', '', '{}', 'é'])).toBe(
      '{"null","NuLl","a b","x\\"y","c\\\\d","","{}","é"}',
    );
    expect(arrayLiteral([])).toBe('{}');
  });
});
