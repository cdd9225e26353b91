import { connect } from 'node:net';
import { listen, UUID_V7 } from '../utils/http';
import { useTestApp } from '../utils/suite';

/** Everything one connection received, as text, once the server closes or `waitMs` passes. */
function exchange(
  port: number,
  write: (socket: ReturnType<typeof connect>) => void,
  waitMs = 10_000,
): Promise<{ text: string; error?: string }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    let error: string | undefined;
    const timer = setTimeout(() => socket.destroy(), waitMs);
    socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
    socket.on('error', (e: NodeJS.ErrnoException) => (error = e.code));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ text, error });
    });
    write(socket);
  });
}

function response(text: string) {
  const end = text.indexOf('\r\n\r\n');
  const [statusLine, ...lines] = text.slice(0, end).split('\r\n');
  const headers = Object.fromEntries(
    lines.map((l) => [
      l.slice(0, l.indexOf(':')).toLowerCase(),
      l.slice(l.indexOf(':') + 1).trim(),
    ]),
  );
  return { status: Number(statusLine.split(' ')[1]), headers, body: text.slice(end + 4) };
}

/** Node's and Fastify's own refusals keep the contract (API.md §1, §2, §11). */
describe('answers the server itself gives', () => {
  const s = useTestApp();
  let port: number;
  beforeAll(async () => (port = await listen(s.t.app)));

  it('header overflow is 431 with both echo headers and the route error body', async () => {
    const { text } = await exchange(port, (socket) =>
      socket.end(
        `GET /${s.t.tenant}/v2/Users HTTP/1.1\r\nHost: x\r\nX-Correlation-ID: big-head-1\r\n` +
          `X-Padding: ${'a'.repeat(20_000)}\r\n\r\n`,
      ),
    );
    const r = response(text);
    expect(r.status).toBe(431);
    expect(r.headers['x-correlation-id']).toBe('big-head-1');
    expect(r.headers['x-request-id']).toMatch(UUID_V7);
    expect(JSON.parse(r.body)).toMatchObject({ status: '431', correlationId: 'big-head-1' });
  });

  it('a bad request line is 400 with X-Request-ID and an error body', async () => {
    const { text } = await exchange(port, (socket) => socket.end('NOT HTTP AT ALL\r\n\r\n'));
    const r = response(text);
    expect(r.status).toBe(400);
    expect(r.headers['x-request-id']).toMatch(UUID_V7);
    expect(JSON.parse(r.body)).toMatchObject({ error: 'invalid_request' });
  });

  it('a 16 MiB body is answered a readable 413 every time, while the client still sends', async () => {
    const size = 16 * 1024 * 1024;
    const chunk = Buffer.alloc(256 * 1024, 0x20);
    for (let i = 0; i < 25; i++) {
      const { text, error } = await exchange(port, (socket) => {
        socket.write(
          `POST /${s.t.tenant}/v2/Users HTTP/1.1\r\nHost: x\r\nContent-Type: application/scim+json\r\n` +
            `X-Correlation-ID: big-body-${i}\r\nContent-Length: ${size}\r\n\r\n`,
        );
        let sent = 0;
        const pump = (): void => {
          while (sent < size) {
            sent += chunk.length;
            if (!socket.write(chunk)) {
              socket.once('drain', pump);
              return;
            }
          }
          // The answer has been read by now or is on its way; closing ends the exchange.
          setTimeout(() => socket.end(), 200);
        };
        pump();
      });
      expect({ i, error, head: text.slice(0, 12) }).toEqual({
        i,
        error: undefined,
        head: 'HTTP/1.1 413',
      });
      const r = response(text);
      expect(r.headers['x-correlation-id']).toBe(`big-body-${i}`);
      expect(JSON.parse(r.body)).toMatchObject({ status: '413' });
    }
  }, 120_000);
});

/** Slow and idle clients are dropped (HTTP_*_TIMEOUT_MS), answered like Node's other refusals. */
describe('slow clients', () => {
  const s = useTestApp({ env: { HTTP_HEADERS_TIMEOUT_MS: '1000', HTTP_MAX_CONNECTIONS: '3' } });
  let port: number;
  beforeAll(async () => (port = await listen(s.t.app)));

  it('answers 408 to headers that never finish, with X-Request-ID, within seconds', async () => {
    const started = Date.now();
    const { text } = await exchange(port, (socket) =>
      socket.write(
        `GET /${s.t.tenant}/v2/Users HTTP/1.1\r\nHost: x\r\nX-Correlation-ID: slow-1\r\n`,
      ),
    );
    const r = response(text);
    expect(r.status).toBe(408);
    expect(r.headers['x-request-id']).toMatch(UUID_V7);
    // Node hands the handler no bytes of a timed-out request, so there is no id to echo.
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('caps open connections (HTTP_MAX_CONNECTIONS)', async () => {
    const sockets = Array.from({ length: 3 }, () => connect(port, '127.0.0.1'));
    await Promise.all(sockets.map((c) => new Promise((r) => c.once('connect', r))));
    const { text } = await exchange(
      port,
      (socket) => socket.end('GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n'),
      3000,
    );
    expect(text).toBe('');
    for (const c of sockets) c.destroy();
    await new Promise((r) => setTimeout(r, 200));
    const again = await exchange(port, (socket) =>
      socket.end('GET /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
    );
    expect(again.text.slice(0, 12)).toBe('HTTP/1.1 200');
  });
});
