import { freePort, ServiceProcess } from '../utils/service-process';
import type { Attempt, Target } from './writers';

const DEVICE_SCHEMA = 'urn:hid:scim:api:idp:2.0:Device';
const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';

/**
 * The service as its own process on one fixed port, started again after every kill, with a
 * generation number the writers read so an answer can be tied to the process that gave it.
 */
export class ServiceUnderTest {
  private process?: ServiceProcess;
  private port?: number;
  private gen = 0;
  private bearer?: string;
  private readonly outputs: string[] = [];

  constructor(
    private readonly env: Record<string, string>,
    readonly tenant: string,
    private readonly secret: string,
  ) {}

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get generation(): number {
    return this.gen;
  }

  get adminBasic(): string {
    return `Basic ${Buffer.from(`${this.tenant}-admin:${this.secret}`).toString('base64')}`;
  }

  /** Starts a new process, trying again while it cannot get ready (database still away). */
  async start(): Promise<void> {
    this.port ??= await freePort();
    for (let attempt = 1; ; attempt++) {
      this.gen++;
      const p = new ServiceProcess({ ...this.env, PORT: String(this.port) }, { compiled: true });
      this.process = p;
      try {
        await p.waitFor(`${this.baseUrl}/health/ready`, 120_000);
        return;
      } catch (error) {
        this.outputs.push(p.text);
        await p.stop('SIGKILL');
        if (attempt >= 5) throw error;
      }
    }
  }

  /** SIGKILL: the generation moves first, so an answer read after this is not the old one's. */
  async kill(): Promise<void> {
    this.gen++;
    const p = this.process;
    if (!p) return;
    await p.stop('SIGKILL');
    this.outputs.push(p.text);
  }

  async stop(): Promise<void> {
    await this.process?.stop();
  }

  /** Lines any of the processes wrote about one request (warnings and errors only). */
  linesAbout(requestId: string): string[] {
    return [...this.outputs, this.process?.text ?? '']
      .join('')
      .split('\n')
      .filter((l) => l.includes(requestId));
  }

  /** Warnings and errors of every process, counted by message, most frequent first. */
  logSummary(): [string, number][] {
    const counts = new Map<string, number>();
    for (const line of [...this.outputs, this.process?.text ?? ''].join('').split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        const entry = JSON.parse(line) as { msg?: string; err?: { message?: string } };
        const key = `${entry.msg ?? '?'}${entry.err?.message ? ` (${entry.err.message.slice(0, 120)})` : ''}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      } catch {
        // a line cut by SIGKILL
      }
    }
    return [...counts].sort((a, b) => b[1] - a[1]);
  }

  /** The last lines the service wrote, for a run that failed. */
  tail(): string {
    return [...this.outputs, this.process?.text ?? ''].join('').slice(-6000);
  }

  async token(): Promise<string> {
    if (this.bearer) return this.bearer;
    const res = await fetch(`${this.baseUrl}/${this.tenant}/authn/token`, {
      method: 'POST',
      headers: {
        authorization: this.adminBasic,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
      signal: AbortSignal.timeout(20_000),
    });
    if (!res.ok) throw new Error(`token: ${res.status} ${await res.text()}`);
    this.bearer = ((await res.json()) as { access_token: string }).access_token;
    return this.bearer;
  }

  /** What the writers need: a token, and users with a device for CIBA's login_hint. */
  async prepare(): Promise<Target> {
    const token = await this.token();
    const post = async (path: string, body: unknown) => {
      const res = await fetch(`${this.baseUrl}/${this.tenant}${path}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/scim+json',
          'x-correlation-id': `chaos-setup-${path.split('/')[2]}-${Date.now()}`,
        },
        body: JSON.stringify(body),
      });
      if (res.status !== 201) throw new Error(`${path}: ${res.status} ${await res.text()}`);
      return (await res.json()) as { id: string };
    };
    const cibaUsers: string[] = [];
    for (let i = 0; i < 4; i++) {
      const userName = `chaos-ciba-${i}`;
      const user = await post('/v2/Users', { schemas: [USER_SCHEMA], userName });
      await post('/v2/Devices', {
        schemas: [DEVICE_SCHEMA],
        serialNumber: `CHAOS-DSN-${i}`,
        type: 'DT_TDSV4',
        status: 'ACTIVE',
        owner: { value: user.id },
      });
      cibaUsers.push(userName);
    }
    return {
      baseUrl: this.baseUrl,
      tenant: this.tenant,
      adminBasic: this.adminBasic,
      cibaUsers,
      generation: () => this.gen,
      token: () => this.token(),
      refreshToken: async () => {
        this.bearer = undefined;
        await this.token().catch(() => undefined);
      },
    };
  }

  /** The failure backlog's gauge and the dropped counter of the current process. */
  async backlog(): Promise<{ backlog: number; dropped: number } | undefined> {
    try {
      const res = await fetch(`${this.baseUrl}/metrics`, { signal: AbortSignal.timeout(5_000) });
      if (!res.ok) return undefined;
      const text = await res.text();
      const value = (name: string) => {
        const line = text
          .split('\n')
          .find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
        return line ? Number(line.split(' ').pop()) : NaN;
      };
      return {
        backlog: value('audit_failure_records_backlog'),
        dropped: value('audit_failure_records_dropped_total'),
      };
    } catch {
      return undefined;
    }
  }

  /** `.verify` on the whole trail, as `npm run audit:verify -- --url` asks it. */
  async verify(): Promise<any> {
    const res = await fetch(`${this.baseUrl}/${this.tenant}/v2/AuditRecords/.verify`, {
      headers: { authorization: `Bearer ${await this.token()}` },
      signal: AbortSignal.timeout(300_000),
    });
    if (!res.ok) throw new Error(`.verify: ${res.status} ${await res.text()}`);
    return res.json();
  }
}

interface Sample {
  generation: number;
  sentAt: number;
  backlog: number;
  dropped: number;
}

/**
 * Samples the failure backlog of the running process twice a second. docs/reliability.md
 * promises a refused write's record once the backlog it went to has been written; a process
 * killed before that loses what waited (counted as dropped). So a refusal's record is due when
 * the process that answered it later showed an empty backlog and nothing dropped.
 */
export class Monitor {
  private readonly list: Sample[] = [];

  constructor(private readonly service: ServiceUnderTest) {}

  get samples(): number {
    return this.list.length;
  }

  async run(stop: () => boolean): Promise<void> {
    while (!stop()) {
      await this.sample();
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  /** One sample, kept only when the same process was current before and after it. */
  async sample(): Promise<Sample | undefined> {
    const generation = this.service.generation;
    const sentAt = Date.now();
    const seen = await this.service.backlog();
    if (!seen || this.service.generation !== generation) return undefined;
    const sample = { generation, sentAt, ...seen };
    this.list.push(sample);
    return sample;
  }

  promised(a: Attempt): boolean {
    if (a.answeredIn === undefined || a.answeredIn !== a.sentIn) return false;
    return this.list.some(
      (s) =>
        s.generation === a.answeredIn &&
        s.sentAt >= a.answeredAt! &&
        s.backlog === 0 &&
        s.dropped === 0,
    );
  }
}
