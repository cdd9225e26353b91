import { connect } from 'node:net';

export interface FuzzRequest {
  method: string;
  /** Sent as given: already percent-encoded where the case wants it, raw bytes where not. */
  path: string;
  headers: Record<string, string>;
  body?: string;
  /**
   * A route that answers with a stream (export, tail): a success is taken as soon as its
   * head arrives, and the connection is dropped, as a client that stops reading would.
   */
  stream?: boolean;
}

export interface FuzzResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * One request on its own connection, written byte for byte (Node's client would refuse the
 * very header values and paths the fuzz needs to send), read until the server closes.
 */
export function send(port: number, req: FuzzRequest, timeoutMs = 30_000): Promise<FuzzResponse> {
  return new Promise((resolve, reject) => {
    const body = req.body === undefined ? undefined : Buffer.from(req.body, 'utf8');
    const lines = [`${req.method} ${req.path} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close'];
    for (const [name, value] of Object.entries(req.headers)) lines.push(`${name}: ${value}`);
    if (body) lines.push(`Content-Length: ${body.length}`);
    const head = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'utf8');
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      if (!req.stream) return;
      const head = parse(Buffer.concat(chunks));
      if (head && head.status < 400) {
        clearTimeout(timer);
        socket.destroy();
        resolve({ ...head, body: '' });
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      const parsed = parse(Buffer.concat(chunks));
      if (parsed) resolve(parsed);
      else reject(new Error('the connection closed without an HTTP answer'));
    });
    socket.write(body ? Buffer.concat([head, body]) : head);
  });
}

function parse(raw: Buffer): FuzzResponse | undefined {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const [statusLine, ...lines] = raw.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1]);
  if (!status) return undefined;
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let payload = raw.subarray(end + 4);
  if (/chunked/i.test(headers['transfer-encoding'] ?? '')) payload = dechunk(payload);
  return { status, headers, body: payload.toString('utf8') };
}

function dechunk(data: Buffer): Buffer {
  const out: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', at);
    if (lineEnd < 0) break;
    const size = parseInt(data.subarray(at, lineEnd).toString('latin1'), 16);
    if (!size) break;
    out.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(out);
}

/**
 * Percent-encodes every UTF-16 code unit, a lone surrogate included (as the three bytes a
 * careless encoder writes for it), which encodeURIComponent refuses to do.
 */
export function encodeAny(text: string): string {
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (/[A-Za-z0-9_.~-]/.test(ch)) out += ch;
    else if (code >= 0xd800 && code <= 0xdfff) {
      out += [0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f)]
        .map((b) => `%${b.toString(16).toUpperCase()}`)
        .join('');
    } else out += encodeURIComponent(ch);
  }
  return out;
}
