import { parseCorrelationHeader } from './correlation-id';

describe('parseCorrelationHeader', () => {
  it('treats a missing header as absent', () => {
    expect(parseCorrelationHeader(undefined, 64)).toEqual({ kind: 'absent' });
  });

  it.each(['f058ebd6-02f7-4d3f-942e-904344e8cde5', 'a', 'A-Z_a.z*0~9@x+y/z:w', 'x'.repeat(64)])(
    'accepts %s',
    (v) => {
      expect(parseCorrelationHeader(v, 64)).toEqual({ kind: 'valid', value: v });
    },
  );

  it.each([
    ['', 'empty'],
    ['x'.repeat(65), 'too long'],
    ['a, b', 'a repeated header joined by Node'],
    ['has space', 'a space'],
    ['semi;colon', 'a semicolon'],
    ['é', 'a non-ASCII letter'],
    ['line\nbreak', 'a newline'],
  ])('refuses %j (%s)', (v) => {
    expect(parseCorrelationHeader(v, 64).kind).toBe('invalid');
  });

  it('refuses an array of values', () => {
    expect(parseCorrelationHeader(['a', 'b'], 64).kind).toBe('invalid');
  });

  it('honours the configured maximum', () => {
    expect(parseCorrelationHeader('abcd', 3).kind).toBe('invalid');
    expect(parseCorrelationHeader('abc', 3).kind).toBe('valid');
  });
});
