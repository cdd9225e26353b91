import { randomUUID } from 'node:crypto';
import { IncomingMessage, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** Where the CLI talks to, and as whom: read from the environment and the options. */
export interface ClientSettings {
  url: string;
  tenant: string;
  clientId: string;
  clientSecret: string;
  correlationId?: string;
}

/** An answer other than 2xx, worded from its SCIM or OAuth error body. */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The management API as the CLI uses it: a client-credentials token (asked once, scope
 * audit:read), and every call with an X-Correlation-ID (the one given, or one per call).
 */
export class AuditClient {
  private token?: string;

  constructor(readonly settings: ClientSettings) {}

  private correlationId(): string {
    return this.settings.correlationId ?? `cli-${randomUUID()}`;
  }

  private base(path: string): string {
    return `${this.settings.url.replace(/\/+$/, '')}/${this.settings.tenant}${path}`;
  }

  async authorize(): Promise<string> {
    if (this.token) return this.token;
    const { clientId, clientSecret } = this.settings;
    const res = await fetch(this.base('/authn/token'), {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`,
        'x-correlation-id': this.correlationId(),
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'audit:read' }),
    });
    const body = (await res.json().catch(() => ({}))) as Record<string, string>;
    if (!res.ok || !body.access_token) {
      throw new ApiFailure(res.status, `sign-in failed: ${body.error_description ?? res.status}`);
    }
    this.token = body.access_token;
    return this.token;
  }

  async headers(extra: Record<string, string> = {}): Promise<Record<string, string>> {
    return {
      authorization: `Bearer ${await this.authorize()}`,
      'x-correlation-id': this.correlationId(),
      ...extra,
    };
  }

  /** GET a JSON answer under /{tenant}. */
  async getJson<T>(path: string, params: Record<string, string | undefined> = {}): Promise<T> {
    const res = await fetch(this.base(path) + query(params), { headers: await this.headers() });
    const body = (await res.json().catch(() => ({}))) as T & Record<string, string>;
    if (!res.ok) throw new ApiFailure(res.status, errorText(res.status, body));
    return body;
  }

  /**
   * A streamed GET over node:http(s), which gives the trailers (CSV exports carry their
   * manifest there) and pauses the socket while the caller's writes catch up.
   */
  async stream(
    path: string,
    params: Record<string, string | undefined>,
    extra: Record<string, string> = {},
  ): Promise<IncomingMessage> {
    const url = new URL(this.base(path) + query(params));
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const headers = await this.headers(extra);
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = request(url, { headers }, resolve);
      req.on('error', reject);
      req.end();
    });
    if ((res.statusCode ?? 500) >= 300) {
      let text = '';
      for await (const chunk of res) text += String(chunk);
      let body: Record<string, string> = {};
      try {
        body = JSON.parse(text) as Record<string, string>;
      } catch {
        // not JSON: the status says it
      }
      throw new ApiFailure(res.statusCode ?? 500, errorText(res.statusCode ?? 500, body));
    }
    return res;
  }
}

function query(params: Record<string, string | undefined>): string {
  const entries = Object.entries(params).filter((e): e is [string, string] => !!e[1]);
  return entries.length ? `?${new URLSearchParams(entries).toString()}` : '';
}

function errorText(status: number, body: Record<string, string>): string {
  return `HTTP ${status}: ${body.detail ?? body.error_description ?? body.error ?? 'no detail'}`;
}
