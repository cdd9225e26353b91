import { parseTraceContext, traceResponse } from './trace-context';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';

describe('parseTraceContext', () => {
  it('reads a version 00 traceparent and keeps tracestate', () => {
    const t = parseTraceContext(`00-${TRACE}-${PARENT}-01`, 'congo=t61rcWkgMzE');
    expect(t).toEqual({
      traceId: TRACE,
      parentId: PARENT,
      spanId: expect.stringMatching(/^[0-9a-f]{16}$/),
      flags: '01',
      state: 'congo=t61rcWkgMzE',
    });
    expect(traceResponse(t!)).toBe(`00-${TRACE}-${t!.spanId}-01`);
    expect(t!.spanId).not.toBe(PARENT);
  });

  it('reads a future version by its first four fields', () => {
    expect(parseTraceContext(`cc-${TRACE}-${PARENT}-00-extra`, undefined)?.traceId).toBe(TRACE);
  });

  it.each([
    [undefined],
    [''],
    ['garbage'],
    [`00-${TRACE.toUpperCase()}-${PARENT}-01`],
    [`00-${'0'.repeat(32)}-${PARENT}-01`],
    [`00-${TRACE}-${'0'.repeat(16)}-01`],
    [`ff-${TRACE}-${PARENT}-01`],
    [`00-${TRACE}-${PARENT}-01-extra`],
    [`00-${TRACE}-${PARENT}`],
    [[`00-${TRACE}-${PARENT}-01`, `00-${TRACE}-${PARENT}-01`]],
  ])('ignores an invalid traceparent %p', (header) => {
    expect(parseTraceContext(header, 'a=b')).toBeUndefined();
  });

  it('drops a tracestate that is too long or not printable', () => {
    const header = `00-${TRACE}-${PARENT}-01`;
    expect(parseTraceContext(header, 'a'.repeat(600))?.state).toBeUndefined();
    expect(parseTraceContext(header, 'a=\u00e9')?.state).toBeUndefined();
    expect(parseTraceContext(header, ['a=1', 'b=2'])?.state).toBe('a=1,b=2');
  });
});
