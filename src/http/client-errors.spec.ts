import { clientErrorResponse } from './client-errors';

function parse(response: string) {
  const [head, body] = response.split('\r\n\r\n');
  const [statusLine, ...lines] = head.split('\r\n');
  const headers = Object.fromEntries(
    lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 2)]),
  );
  return { statusLine, headers, body: JSON.parse(body) as Record<string, unknown> };
}

describe('clientErrorResponse', () => {
  it('answers a SCIM route in the SCIM format with both echo headers', () => {
    const packet = Buffer.from(
      'GET /acme/v2/Users HTTP/1.1\r\nHost: x\r\nX-Correlation-ID: c-1\r\nX-Big: aaa',
    );
    const r = parse(clientErrorResponse(431, packet, 64));
    expect(r.statusLine).toBe('HTTP/1.1 431 Request Header Fields Too Large');
    expect(r.headers['x-correlation-id']).toBe('c-1');
    expect(r.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.body).toMatchObject({ status: '431', correlationId: 'c-1' });
    expect(r.body.schemas).toEqual(['urn:ietf:params:scim:api:messages:2.0:Error']);
    expect(Number(r.headers['content-length'])).toBe(Buffer.byteLength(JSON.stringify(r.body)));
  });

  it('answers in the OAuth format when no SCIM route is known', () => {
    const r = parse(clientErrorResponse(400, Buffer.from('GARBAGE\r\n\r\n'), 64));
    expect(r.statusLine).toBe('HTTP/1.1 400 Bad Request');
    expect(r.body).toEqual({
      error: 'invalid_request',
      error_description: 'The request could not be parsed as HTTP',
    });
    expect(r.headers['x-correlation-id']).toBeUndefined();
    expect(r.headers['x-request-id']).toBeDefined();
  });

  it('never echoes an invalid or repeated correlation id', () => {
    for (const ids of ['X-Correlation-ID: bad id!', 'X-Correlation-ID: a\r\nx-correlation-id: b']) {
      const packet = Buffer.from(`GET /acme/authn/token HTTP/1.1\r\n${ids}\r\nBad Header\r\n`);
      const r = parse(clientErrorResponse(400, packet, 64));
      expect(r.headers['x-correlation-id']).toBeUndefined();
      expect(r.body.correlationId).toBeUndefined();
    }
  });
});
