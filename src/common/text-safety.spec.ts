import {
  describeUnsafe,
  findUnsafeText,
  jsonNestingExceeds,
  storableCopy,
  storableText,
  unsafeProblem,
} from './text-safety';

describe('text safety', () => {
  it.each([
    ['a\u0000b', 'NUL'],
    ['\ud800', 'surrogate'],
    ['x\udc00', 'surrogate'],
    ['\ud800x', 'surrogate'],
  ])('finds what PostgreSQL cannot store in %j', (text, problem) => {
    expect(unsafeProblem(text)).toBe(problem);
  });

  it.each(['plain', 'émoji 😀', '\ud83d\ude00', '\u0001\u001f', ''])('accepts %j', (text) => {
    expect(unsafeProblem(text)).toBeUndefined();
  });

  it('names the attribute path, member names included', () => {
    expect(findUnsafeText({ name: { givenName: 'a\u0000' } })).toEqual({
      path: 'name.givenName',
      problem: 'NUL',
    });
    expect(findUnsafeText({ emails: [{ value: 'ok' }, { value: '\ud800' }] })?.path).toBe(
      'emails[1].value',
    );
    expect(findUnsafeText({ ['k\u0000']: 1 })?.problem).toBe('NUL');
    expect(findUnsafeText({ a: [1, true, null, { b: 'fine' }] })).toBeUndefined();
    expect(findUnsafeText('a\u0000', 'id')).toEqual({ path: 'id', problem: 'NUL' });
  });

  it('walks a deep value without recursion', () => {
    let deep: unknown = 'x\u0000';
    for (let i = 0; i < 20_000; i++) deep = [deep];
    expect(findUnsafeText(deep)?.problem).toBe('NUL');
    let safe: unknown = { k: ['x', '\ud83d\ude00'] };
    for (let i = 0; i < 20_000; i++) safe = i % 2 ? [safe] : { [`m${i}`]: safe, n: 'y' };
    expect(findUnsafeText(safe)).toBeUndefined();
  });

  it('finds the same unsafe text as before when several are: member names first', () => {
    const value = { a: ['ok', { b: '\ud800' }], ['c\u0000']: 'x', d: 'e\u0000' };
    expect(findUnsafeText(value, 'item')).toEqual({ path: 'item.c\ufffd', problem: 'NUL' });
    const { a, d } = value;
    expect(findUnsafeText({ a, d })).toEqual({ path: 'a[1].b', problem: 'surrogate' });
  });

  it('says what and where', () => {
    expect(describeUnsafe({ path: 'userName', problem: 'NUL' })).toBe(
      'userName must not contain the NUL character (\\u0000)',
    );
    expect(describeUnsafe({ path: '', problem: 'surrogate' })).toMatch(/^the value must not/);
  });

  it('makes a storable copy by replacing each bad code unit', () => {
    expect(storableText('a\u0000b\ud800')).toBe('a\ufffdb\ufffd');
    expect(storableText('\ud83d\ude00')).toBe('\ud83d\ude00');
    expect(storableCopy({ ['k\u0000']: ['v\udc00', 1] })).toEqual({ 'k\ufffd': ['v\ufffd', 1] });
  });

  it('measures nesting outside strings only', () => {
    expect(jsonNestingExceeds('[[[]]]', 3)).toBe(false);
    expect(jsonNestingExceeds('[[[[]]]]', 3)).toBe(true);
    expect(jsonNestingExceeds('{"a":"[[[[[[\\"[["}', 2)).toBe(false);
    expect(jsonNestingExceeds('['.repeat(5000) + ']'.repeat(5000), 64)).toBe(true);
  });
});
