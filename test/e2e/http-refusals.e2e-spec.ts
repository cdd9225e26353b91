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

/**
 * Declares and sends a 16 MiB body as fast as the server takes it, ends the connection once it
 * is all sent, and returns what came back.
 */
function sendBigBody(
  port: number,
  method: string,
  path: string,
  type: string,
  correlationId: string,
): Promise<{ text: string; error?: string }> {
  const size = 16 * 1024 * 1024;
  const chunk = Buffer.alloc(256 * 1024, 0x20);
  return exchange(port, (socket) => {
    socket.write(
      `${method} ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: ${type}\r\n` +
        `X-Correlation-ID: ${correlationId}\r\nContent-Length: ${size}\r\n\r\n`,
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

  it('a path the router cannot decode, on a method no route has, is 404 with both echo headers', async () => {
    // Fastify's 404 router calls the not-found handler directly there, past every hook.
    for (const path of ['/console/%', `/${s.t.tenant}/v2/Users/%ED%A0%80`]) {
      const { text } = await exchange(port, (socket) =>
        socket.end(`OPTIONS ${path} HTTP/1.1\r\nHost: x\r\nX-Correlation-ID: bad-url-1\r\n\r\n`),
      );
      const r = response(text);
      expect(r.status).toBe(404);
      expect(r.headers['x-correlation-id']).toBe('bad-url-1');
      expect(r.headers['x-request-id']).toMatch(UUID_V7);
    }
  });

  it('an unsatisfiable Range on a console file is 416, not 500', async () => {
    for (const method of ['GET', 'HEAD']) {
      // Written, not ended: a client that half-closes first is not answered a file.
      const { text } = await exchange(port, (socket) =>
        socket.write(
          `${method} /console/console.js HTTP/1.1\r\nHost: x\r\nRange: bytes=x\r\n` +
            `X-Correlation-ID: range-1\r\nConnection: close\r\n\r\n`,
        ),
      );
      const r = response(text);
      expect({ method, status: r.status }).toEqual({ method, status: 416 });
      expect(r.headers['x-correlation-id']).toBe('range-1');
      expect(r.headers['content-range']).toMatch(/^bytes \*\/\d+$/);
      if (method === 'GET')
        expect(JSON.parse(r.body)).toMatchObject({ error: 'range_not_satisfiable' });
    }
  });

  it('a 16 MiB body is answered a readable 413 every time, while the client still sends', async () => {
    for (let i = 0; i < 25; i++) {
      const cid = `big-body-${i}`;
      const { text, error } = await sendBigBody(
        port,
        'POST',
        s.users,
        'application/scim+json',
        cid,
      );
      expect({ i, error, head: text.slice(0, 12) }).toEqual({
        i,
        error: undefined,
        head: 'HTTP/1.1 413',
      });
      const r = response(text);
      expect(r.headers['x-correlation-id']).toBe(cid);
      expect(JSON.parse(r.body)).toMatchObject({ status: '413' });
    }
  }, 120_000);

  it('a 16 MiB body is a readable 413 in its format on every route that takes a body', async () => {
    // Every write operation the API documents, so a route added later is covered too.
    const doc = (await s.t.request({ method: 'GET', url: '/docs-json' })).json() as {
      paths: Record<string, Record<string, { requestBody?: { content?: object } }>>;
    };
    const routes: [string, string, string][] = [];
    for (const [template, item] of Object.entries(doc.paths)) {
      for (const method of ['post', 'put', 'patch', 'delete']) {
        const op = item[method];
        if (!op) continue;
        const types = Object.keys(op.requestBody?.content ?? {});
        const type = types.includes('application/x-www-form-urlencoded')
          ? 'application/x-www-form-urlencoded'
          : 'application/json';
        const path = template
          .replace('{tenant}', s.t.tenant)
          .replace(/\{[^}]+\}/g, '0193b6c4-0000-7000-8000-000000000000');
        routes.push([method.toUpperCase(), path, type]);
      }
    }
    const forms = routes.filter(([, , type]) => type.includes('form')).map(([, path]) => path);
    expect(forms).toEqual(
      expect.arrayContaining([`/${s.t.tenant}/authn/token`, `/${s.t.tenant}/authn/bcauthorize`]),
    );
    expect(routes.length).toBeGreaterThan(25);
    // Three rounds: a refusal that is readable only when the timing is kind fails one of them.
    const rounds = [...routes, ...routes, ...routes];
    const answers: string[] = [];
    for (const [method, path, type] of rounds) {
      const cid = `big-${answers.length}`;
      const { text, error } = await sendBigBody(port, method, path, type, cid);
      const r = response(text);
      let format = 'unreadable';
      try {
        const body = JSON.parse(r.body) as Record<string, unknown>;
        if (path.includes('/v2/')) format = body.status === '413' ? 'scim' : 'not scim';
        else format = typeof body.error === 'string' ? 'oauth' : 'not oauth';
      } catch {
        // stays 'unreadable'
      }
      const echoed = r.headers['x-correlation-id'] === cid ? 'echo' : 'no echo';
      answers.push(`${method} ${path} ${error ?? r.status} ${format} ${echoed}`);
    }
    const expected = rounds.map(
      ([method, path]) => `${method} ${path} 413 ${path.includes('/v2/') ? 'scim' : 'oauth'} echo`,
    );
    expect(answers).toEqual(expected);
  }, 300_000);
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
