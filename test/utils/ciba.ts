import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { recordsOfCoi } from './records';
import { ADMIN_SECRET, TestApp, TestResponse } from './test-app';

export interface ClientCredentials {
  clientId: string;
  secret: string;
}

export const GRANT_CIBA = 'urn:openid:params:grant-type:ciba';

function basic({ clientId, secret }: ClientCredentials): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

export function adminClient(t: TestApp): ClientCredentials {
  return { clientId: `${t.tenant}-admin`, secret: ADMIN_SECRET };
}

/** POST /{tenant}/authn/bcauthorize with client_secret_basic. */
export function bcauthorize(
  t: TestApp,
  form: Record<string, string>,
  o: { client?: ClientCredentials; correlationId?: string; tenant?: string } = {},
): Promise<TestResponse> {
  return t.request({
    method: 'POST',
    url: `/${o.tenant ?? t.tenant}/authn/bcauthorize`,
    correlationId: o.correlationId,
    headers: {
      authorization: basic(o.client ?? adminClient(t)),
      'content-type': 'application/x-www-form-urlencoded',
    },
    payload: new URLSearchParams(form).toString(),
  });
}

/** A poll of the token endpoint with the CIBA grant. */
export function poll(
  t: TestApp,
  authReqId: string,
  o: { client?: ClientCredentials; correlationId?: string } = {},
): Promise<TestResponse> {
  const client = o.client ?? adminClient(t);
  return t.tokenRequest(
    { grant_type: GRANT_CIBA, auth_req_id: authReqId },
    client.clientId,
    client.secret,
    t.tenant,
    o.correlationId ? { 'x-correlation-id': o.correlationId } : {},
  );
}

/** The authenticator side's answer (admin token, which holds ciba:respond). */
export async function answer(
  t: TestApp,
  authReqId: string,
  decision: 'approve' | 'deny',
  o: { correlationId?: string; token?: string; payload?: unknown } = {},
): Promise<TestResponse> {
  return t.request({
    method: 'POST',
    url: `/${t.tenant}/authn/bcauthorize/${authReqId}/${decision}`,
    token: o.token ?? (await t.adminToken()),
    correlationId: o.correlationId,
    ...(o.payload !== undefined
      ? { payload: o.payload, headers: { 'content-type': 'application/json' } }
      : {}),
  });
}

/** Polls `probe` until it returns a value, for work done by background jobs. */
export async function eventually<T>(
  probe: () => Promise<T | undefined | null | false>,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(100);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Waits for the record of `action` in a flow (written by a job). */
export function recordOf(t: TestApp, coi: string, action: string, result = 'RESPONSE_SUCCESS') {
  return eventually(async () =>
    (await recordsOfCoi(t, coi)).find((r) => r.action_name === action && r.result === result),
  );
}

/** A flow started for `login_hint` and delivered to the device, ready to be answered. */
export async function startFlow(
  t: TestApp,
  userName: string,
  o: { client?: ClientCredentials; correlationId?: string; form?: Record<string, string> } = {},
): Promise<string> {
  const res = await bcauthorize(
    t,
    { scope: 'openid', login_hint: userName, ...o.form },
    { client: o.client, correlationId: o.correlationId },
  );
  if (res.statusCode !== 200) throw new Error(`bcauthorize failed: ${res.body}`);
  const id = res.json<{ auth_req_id: string }>().auth_req_id;
  await recordOf(t, id, 'indirectDeliverChallenge');
  return id;
}

export interface ReceivedNotification {
  authorization?: string;
  contentType?: string;
  body: Record<string, unknown>;
}

/**
 * A client's notification endpoint: a real HTTP listener on loopback. Answers come from
 * `statuses` in turn (then 204), so a test can make the first attempts fail.
 */
export class NotificationListener {
  readonly received: ReceivedNotification[] = [];
  statuses: number[] = [];
  private server?: Server;

  async start(): Promise<string> {
    this.server = createServer((req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        this.received.push({
          authorization: req.headers.authorization,
          contentType: req.headers['content-type'],
          body: text ? JSON.parse(text) : {},
        });
        res.statusCode = this.statuses.shift() ?? 204;
        res.end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}/cb`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  /** Waits until `count` notifications arrived. */
  arrived(count = 1): Promise<ReceivedNotification[]> {
    return eventually(async () => this.received.length >= count && this.received);
  }
}
