/**
 * The chaos run's clients: each sends a steady stream of mixed writes, every one with its own
 * X-Correlation-ID, and remembers what it was answered, so the invariants can be checked
 * against the database afterwards.
 */

export type Op = 'createUser' | 'patchUser' | 'register' | 'import' | 'ciba';

/** Weights of the mix: mostly user writes, as on a real identity platform. */
const MIX: [Op, number][] = [
  ['createUser', 35],
  ['patchUser', 25],
  ['register', 10],
  ['import', 10],
  ['ciba', 20],
];

export interface Attempt {
  op: Op;
  correlationId: string;
  /** The HTTP status, or undefined when no answer came (killed, refused, timed out). */
  status?: number;
  requestId?: string;
  /** The created user's id, the client_id, the import's COI or the auth_req_id. */
  ref?: string;
  /** For an import: how many items it carried. */
  items?: number;
  /** The service process current when the request was sent and when its answer came. */
  sentIn: number;
  answeredIn?: number;
  answeredAt?: number;
  sentAt: number;
  /** For a 5xx: its Retry-After and the start of its body; for no answer, the error. */
  retryAfter?: string;
  detail?: string;
}

/** What the writers act on; `generation` is bumped before each kill of the service. */
export interface Target {
  baseUrl: string;
  tenant: string;
  adminBasic: string;
  /** Users with a device, for CIBA's login_hint. */
  cibaUsers: string[];
  generation(): number;
  token(): Promise<string>;
  refreshToken(): Promise<void>;
}

/** Mulberry32: a small seeded generator, so a run's mix and timing can be replayed. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SCIM = 'application/scim+json';
const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
const PATCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const REQUEST_TIMEOUT_MS = 20_000;

/** One client: `rate` writes per second until `stop()` says so. */
export class Writer {
  readonly attempts: Attempt[] = [];
  private readonly users: string[] = [];
  private readonly random: () => number;
  private n = 0;

  constructor(
    private readonly name: string,
    private readonly target: Target,
    seed: number,
    private readonly rate: number,
  ) {
    this.random = seeded(seed);
  }

  /** Sends at a steady pace; a slow answer never causes a burst to catch up. */
  async run(stop: () => boolean): Promise<void> {
    const interval = 1000 / this.rate;
    const inFlight = new Set<Promise<void>>();
    let next = Date.now();
    while (!stop()) {
      const now = Date.now();
      if (now < next) {
        await new Promise((r) => setTimeout(r, next - now));
        continue;
      }
      next = Math.max(next + interval, now);
      const p = this.one().finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    await Promise.all(inFlight);
  }

  private pick(): Op {
    const total = MIX.reduce((s, [, w]) => s + w, 0);
    let r = this.random() * total;
    for (const [op, w] of MIX) {
      if ((r -= w) < 0) return op;
    }
    return 'createUser';
  }

  private async one(): Promise<void> {
    let op = this.pick();
    if (op === 'patchUser' && this.users.length === 0) op = 'createUser';
    const correlationId = `${this.name}-${String(++this.n).padStart(6, '0')}`;
    const attempt: Attempt = {
      op,
      correlationId,
      sentIn: this.target.generation(),
      sentAt: Date.now(),
    };
    this.attempts.push(attempt);
    const res = await this.send(op, correlationId, attempt).catch((error: Error) => {
      const cause = (error.cause as { code?: string } | undefined)?.code;
      attempt.detail = `${error.name}${cause ? ` ${cause}` : ''}: ${error.message.slice(0, 80)}`;
      return undefined;
    });
    if (!res) return;
    attempt.status = res.status;
    attempt.requestId = res.headers.get('x-request-id') ?? undefined;
    attempt.answeredIn = this.target.generation();
    attempt.answeredAt = Date.now();
    if (res.status === 401) await this.target.refreshToken();
    const body = (await res.json().catch(() => undefined)) as Record<string, unknown> | undefined;
    if (res.status >= 500) {
      attempt.retryAfter = res.headers.get('retry-after') ?? undefined;
      attempt.detail = JSON.stringify(body).slice(0, 300);
    }
    if (res.status < 200 || res.status >= 300 || !body) return;
    if (op === 'createUser') {
      attempt.ref = String(body.id);
      this.users.push(attempt.ref);
    } else if (op === 'patchUser') {
      attempt.ref = String(body.id);
    } else if (op === 'register') {
      attempt.ref = String(body.client_id);
    } else if (op === 'import') {
      attempt.ref = String(body.correlationId);
    } else {
      attempt.ref = String(body.auth_req_id);
    }
  }

  private async send(op: Op, correlationId: string, attempt: Attempt): Promise<Response> {
    const { baseUrl, tenant } = this.target;
    const headers: Record<string, string> = { 'x-correlation-id': correlationId };
    const call = async (method: string, path: string, body: string, type: string) =>
      fetch(`${baseUrl}/${tenant}${path}`, {
        method,
        headers: { ...headers, 'content-type': type },
        body,
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    if (op === 'ciba') {
      headers.authorization = this.target.adminBasic;
      const hint = this.target.cibaUsers[Math.floor(this.random() * this.target.cibaUsers.length)];
      const form = new URLSearchParams({ scope: 'openid', login_hint: hint });
      return call(
        'POST',
        '/authn/bcauthorize',
        form.toString(),
        'application/x-www-form-urlencoded',
      );
    }
    headers.authorization = `Bearer ${await this.target.token()}`;
    if (op === 'createUser') {
      const body = { schemas: [USER_SCHEMA], userName: correlationId };
      return call('POST', '/v2/Users', JSON.stringify(body), SCIM);
    }
    if (op === 'patchUser') {
      const id = this.users[Math.floor(this.random() * this.users.length)];
      const body = {
        schemas: [PATCH_SCHEMA],
        Operations: [{ op: 'replace', path: 'displayName', value: correlationId }],
      };
      return call('PATCH', `/v2/Users/${id}`, JSON.stringify(body), SCIM);
    }
    if (op === 'register') {
      const body = { client_name: correlationId, scope: 'users:read' };
      return call('POST', '/authn/register', JSON.stringify(body), 'application/json');
    }
    const size = 3 + Math.floor(this.random() * 18);
    attempt.items = size;
    const users = Array.from({ length: size }, (_, i) => ({
      schemas: [USER_SCHEMA],
      userName: `${correlationId}-i${i}`,
    }));
    return call('POST', '/v2/Users/.import', JSON.stringify({ users }), SCIM);
  }
}
