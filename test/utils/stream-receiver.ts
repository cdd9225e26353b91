import { createHmac, timingSafeEqual } from 'node:crypto';
import { once } from 'node:events';
import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';

export interface Delivery {
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
  records: any[];
}

/**
 * A log stream receiver on loopback: records every delivery per path, answers with the
 * status `answer(path)` picks (200 by default), and checks signatures as docs/log-streams.md
 * tells receivers to.
 */
export class StreamReceiver {
  readonly deliveries: Delivery[] = [];
  /** Status to answer, per path; undefined is 200. */
  answer: (path: string) => number | undefined = () => undefined;
  /** Awaited before a delivery is answered (a slow receiver, or a crash in the meantime). */
  beforeAnswer: (delivery: Delivery) => Promise<void> = async () => undefined;
  private constructor(private readonly server: Server) {}

  static async start(): Promise<StreamReceiver> {
    const server = createServer();
    const receiver = new StreamReceiver(server);
    server.on('request', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const path = req.url ?? '/';
        const status = receiver.answer(path) ?? 200;
        const delivery: Delivery = {
          path,
          headers: req.headers,
          body,
          records: status === 200 ? (JSON.parse(body) as { records: any[] }).records : [],
        };
        // A 2xx means the batch is stored: kept before the answer, as a receiver should.
        if (status === 200) receiver.deliveries.push(delivery);
        void receiver.beforeAnswer(delivery).then(() => {
          if (!res.destroyed) res.writeHead(status, { 'content-type': 'text/plain' }).end('ok');
        });
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return receiver;
  }

  url(path: string): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${path}`;
  }

  /** The records delivered to `path`, in the order they arrived. */
  records(path: string): any[] {
    return this.deliveries.filter((d) => d.path === path).flatMap((d) => d.records);
  }

  async until(what: string, probe: () => boolean, ms = 30_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!probe()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** The receivers' check (docs/log-streams.md): HMAC-SHA256 of `<t>.<body>`, and a recent t. */
export function verifySignature(
  secret: string,
  header: string,
  body: string,
  toleranceS = 300,
): boolean {
  const parts = Object.fromEntries(
    header.split(',').map((p) => p.split('=', 2) as [string, string]),
  );
  const t = Number(parts.t);
  if (!Number.isInteger(t) || Math.abs(Date.now() / 1000 - t) > toleranceS) return false;
  const expected = createHmac('sha256', secret).update(`${parts.t}.${body}`).digest();
  const given = Buffer.from(parts.v1 ?? '', 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
