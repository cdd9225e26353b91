import { InjectOptions, TestApp, TestResponse } from '../utils/test-app';

export interface RegisteredClient {
  client_id: string;
  client_secret: string;
  registration_access_token: string;
  registration_client_uri: string;
  client_id_issued_at: number;
  client_secret_expires_at: number;
  grant_types: string[];
  token_endpoint_auth_method: string;
  scope?: string;
  [member: string]: unknown;
}

const SECRET_MEMBERS = ['client_secret', 'registration_access_token', 'access_token', 'id_token'];

/**
 * Calls the API like a client of the registration endpoints would, and remembers every
 * secret the server issued and every error body it sent, so a test can prove none of those
 * secrets ever reached a log line, an audit record or an error body.
 */
export class ClientKit {
  readonly secrets = new Set<string>();
  readonly errorBodies: string[] = [];
  calls = 0;

  constructor(readonly t: TestApp) {}

  /** Secrets that did not come through `call` (the admin secret and its tokens). */
  remember(...secrets: string[]): void {
    for (const s of secrets) this.secrets.add(s);
  }

  async call(o: InjectOptions): Promise<TestResponse> {
    const res = await this.t.request(o);
    this.calls += 1;
    if (res.statusCode >= 400) this.errorBodies.push(res.body);
    for (const body of jsonDocuments(res)) {
      for (const member of SECRET_MEMBERS) {
        if (typeof body[member] === 'string') this.secrets.add(body[member]);
      }
    }
    return res;
  }

  register(
    body: unknown,
    o: { token?: string; correlationId?: string; headers?: Record<string, string> } = {},
  ): Promise<TestResponse> {
    return this.call({
      method: 'POST',
      url: `/${this.t.tenant}/authn/register`,
      payload: body,
      token: o.token,
      correlationId: o.correlationId,
      headers: { 'content-type': 'application/json', ...o.headers },
    });
  }

  /** Registers a client with the admin token; fails the test unless it is 201. */
  async client(
    metadata: Record<string, unknown> = {},
    o: { token?: string; correlationId?: string } = {},
  ): Promise<RegisteredClient> {
    const res = await this.register(
      { client_name: 'test client', ...metadata },
      { token: o.token ?? (await this.t.adminToken()), correlationId: o.correlationId },
    );
    if (res.statusCode !== 201)
      throw new Error(`registration failed: ${res.statusCode} ${res.body}`);
    return res.json<RegisteredClient>();
  }

  /** Path part of a client's registration_client_uri. */
  path(client: { client_id: string }, tenant = this.t.tenant): string {
    return `/${tenant}/authn/register/${client.client_id}`;
  }

  /** An RFC 7592 call on a client's registration_client_uri. */
  configure(
    method: 'GET' | 'PUT' | 'DELETE',
    client: { client_id: string },
    o: { token?: string; body?: unknown; correlationId?: string; query?: string } = {},
  ): Promise<TestResponse> {
    return this.call({
      method,
      url: `${this.path(client)}${o.query ?? ''}`,
      token: o.token,
      correlationId: o.correlationId,
      payload: o.body,
      headers: o.body !== undefined ? { 'content-type': 'application/json' } : {},
    });
  }

  /** A cheap management API call that needs users:read. */
  apiCall(token: string): Promise<TestResponse> {
    return this.call({ method: 'GET', url: `/${this.t.tenant}/v2/Users?count=1`, token });
  }

  /** The clients row, or undefined. */
  async row(clientId: string): Promise<any> {
    const rows: unknown[] = await this.t.db.query(
      'SELECT * FROM clients WHERE tenant_id = $1 AND client_id = $2',
      [this.t.tenant, clientId],
    );
    return rows[0];
  }

  /** The client's service-account user row, or undefined. */
  async serviceUser(clientId: string): Promise<any> {
    const rows: unknown[] = await this.t.db.query(
      'SELECT * FROM users WHERE tenant_id = $1 AND user_name = $2',
      [this.t.tenant, clientId],
    );
    return rows[0];
  }

  /** Clients and users of the tenant, to prove a failed call created nothing. */
  async counts(): Promise<{ clients: number; users: number }> {
    const rows: { clients: number; users: number }[] = await this.t.db.query(
      `SELECT (SELECT count(*)::int FROM clients WHERE tenant_id = $1) AS clients,
              (SELECT count(*)::int FROM users WHERE tenant_id = $1) AS users`,
      [this.t.tenant],
    );
    return rows[0];
  }

  /** client_credentials token request with client_secret_basic. */
  async token(client: { client_id: string }, secret: string, scope?: string) {
    const res = await this.call({
      method: 'POST',
      url: `/${this.t.tenant}/authn/token`,
      headers: {
        authorization: basic(client.client_id, secret),
        'content-type': 'application/x-www-form-urlencoded',
      },
      payload: new URLSearchParams({
        grant_type: 'client_credentials',
        ...(scope !== undefined ? { scope } : {}),
      }).toString(),
    });
    return res;
  }

  async accessToken(client: RegisteredClient, scope?: string): Promise<string> {
    const res = await this.token(client, client.client_secret, scope);
    if (res.statusCode !== 200) throw new Error(`token failed: ${res.statusCode} ${res.body}`);
    return res.json<{ access_token: string }>().access_token;
  }

  /** Every place an issued secret shows up: log lines, audit records, error bodies. */
  async leaks(): Promise<string[]> {
    const rows: { record: string }[] = await this.t.db.query(
      'SELECT row_to_json(r)::text AS record FROM audit_records r',
    );
    const places = [
      ...this.t.logs.map((line, i) => ({ where: `log line ${i}`, text: line })),
      ...rows.map((r, i) => ({ where: `audit record ${i}`, text: r.record })),
      ...this.errorBodies.map((body, i) => ({ where: `error body ${i}`, text: body })),
    ];
    const found: string[] = [];
    for (const secret of this.secrets) {
      for (const place of places) {
        if (place.text.includes(secret)) found.push(`${place.where} holds a secret`);
      }
    }
    return found;
  }
}

export function basic(clientId: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

/**
 * The JSON objects a response carries: its body when it is one JSON document, each line of
 * an NDJSON stream (an export); none for other media types (CSV, an event stream), whose
 * bodies are not JSON and would not parse as one document.
 */
function jsonDocuments(res: TestResponse): Record<string, unknown>[] {
  const type = String(res.headers['content-type'] ?? '')
    .split(';')[0]
    .trim()
    .toLowerCase();
  const lines =
    type === 'application/x-ndjson'
      ? res.body.split('\n')
      : /^application\/([\w.-]+\+)?json$/.test(type)
        ? [res.body]
        : [];
  return lines
    .filter((line) => line.trim().startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
