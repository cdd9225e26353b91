import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { request } from 'node:http';
import { AddressInfo } from 'node:net';

export const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
export const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

export interface RawResponse {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** Makes the app listen on a free local port (once) and returns it. */
export async function listen(app: NestFastifyApplication): Promise<number> {
  const server = app.getHttpServer();
  if (!server.listening) await app.listen(0, '127.0.0.1');
  return (server.address() as AddressInfo).port;
}

/**
 * A request over a real socket, for what an in-process inject cannot show: header lines as
 * they are sent on the wire (a repeated header, unusual capitalisation).
 * `headers` values that are arrays are sent as several header lines.
 */
export function rawRequest(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string | string[]> = {},
  body?: string,
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          statusCode: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/**
 * Opens a request over a real socket and hangs up once the response head arrives: the
 * status and headers of an endless response (a Server-Sent Events stream), which an
 * in-process inject would wait on forever.
 */
export function responseHead(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<Omit<RawResponse, 'body'>> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      resolve({ statusCode: res.statusCode ?? 0, headers: res.headers });
      res.on('error', () => undefined);
      req.destroy();
    });
    req.on('error', reject);
    req.end();
  });
}

/** Parsed log lines (pino JSON) whose fields match every given value. */
export function logLines(
  logs: string[],
  match: Record<string, unknown>,
): Record<string, unknown>[] {
  return logs
    .map((line) => {
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch {
        return undefined;
      }
    })
    .filter((l): l is Record<string, unknown> => !!l)
    .filter((l) => Object.entries(match).every(([k, v]) => l[k] === v));
}

/** The caller's correlation id echoed unchanged, beside a fresh request id. */
export function expectEchoed(
  res: { headers: Record<string, unknown> },
  correlationId: string,
): void {
  expect(res.headers['x-correlation-id']).toBe(correlationId);
  expect(res.headers['x-request-id']).toMatch(UUID_V7);
}
