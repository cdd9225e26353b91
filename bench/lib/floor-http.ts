import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import { Pool } from 'pg';

/**
 * The HTTP side every floor server shares, with node:http and nothing else: GET answers
 * `ok` (readiness), a POST's whole body goes to `onPost`; listens on PORT, and on SIGTERM
 * stops and closes the pool.
 */
export function serveFloor(
  pool: Pool,
  onPost: (req: IncomingMessage, body: Buffer, res: ServerResponse) => void,
): void {
  const server = createServer((req, res) => {
    if (req.method === 'GET') {
      res.writeHead(200).end('ok');
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => onPost(req, Buffer.concat(chunks), res));
  });
  server.listen(Number(process.env.PORT), '127.0.0.1');
  process.on('SIGTERM', () => {
    server.close();
    void pool.end().then(() => process.exit(0));
  });
}
