import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { ADMIN_SECRET } from './test-app';

const ROOT = join(__dirname, '..', '..');

/** A free TCP port on the loopback interface. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

/**
 * The real service as a child process (`npm start`'s command line), for what an in-process
 * app cannot show: surviving `kill -9`, and several instances sharing one database.
 */
export class ServiceProcess {
  readonly logs: string[] = [];
  private exited = false;

  private constructor(
    private readonly child: ChildProcess,
    readonly baseUrl: string,
    readonly tenant: string,
  ) {
    let partial = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      this.logs.push(...lines.filter(Boolean));
    });
    child.stderr!.on('data', (chunk: Buffer) => this.logs.push(chunk.toString('utf8')));
    child.on('exit', () => (this.exited = true));
  }

  static async start(
    databaseUrl: string,
    tenant: string,
    env: Record<string, string> = {},
  ): Promise<ServiceProcess> {
    const port = await freePort();
    const child = spawn(
      process.execPath,
      ['-r', 'ts-node/register/transpile-only', join('src', 'main.ts')],
      {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH,
          NODE_ENV: 'test',
          DATABASE_URL: databaseUrl,
          HOST: '127.0.0.1',
          PORT: String(port),
          BOOTSTRAP_TENANTS: tenant,
          BOOTSTRAP_ADMIN_SECRET: ADMIN_SECRET,
          LOG_LEVEL: 'info',
          DB_POOL_SIZE: '4',
          ...env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const service = new ServiceProcess(child, `http://127.0.0.1:${port}`, tenant);
    await service.waitUntilLive();
    return service;
  }

  private async waitUntilLive(timeoutMs = 90_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.exited) throw new Error(`service exited:\n${this.logs.slice(-20).join('\n')}`);
      try {
        if ((await fetch(`${this.baseUrl}/health/live`)).ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`service did not start:\n${this.logs.slice(-20).join('\n')}`);
  }

  async token(): Promise<string> {
    const res = await fetch(`${this.baseUrl}/${this.tenant}/authn/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${this.tenant}-admin:${ADMIN_SECRET}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
    });
    if (!res.ok) throw new Error(`token: ${res.status} ${await res.text()}`);
    return ((await res.json()) as { access_token: string }).access_token;
  }

  async request(
    method: string,
    path: string,
    options: { token?: string; body?: unknown; correlationId?: string } = {},
  ): Promise<{ status: number; headers: Headers; json: any }> {
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        ...(options.correlationId ? { 'x-correlation-id': options.correlationId } : {}),
        ...(options.body !== undefined ? { 'content-type': 'application/scim+json' } : {}),
      },
      body: options.body !== undefined ? JSON.stringify(options.body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : undefined };
  }

  /** Structured log lines whose message is `msg`. */
  linesWith(msg: string): any[] {
    return this.logs
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l))
      .filter((l) => l.msg === msg);
  }

  /** SIGKILL: no shutdown hook, no graceful stop; open transactions die with the connection. */
  async kill9(): Promise<void> {
    if (this.exited) return;
    const exit = once(this.child, 'exit');
    this.child.kill('SIGKILL');
    await exit;
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    const exit = once(this.child, 'exit');
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    await exit;
    clearTimeout(timer);
  }
}

/** An embedded PostgreSQL in a child process, so a test can stop and start it again. */
export class PostgresProcess {
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
  ) {}

  static async start(dir: string, port: number): Promise<PostgresProcess> {
    const child = spawn(
      process.execPath,
      [
        '-r',
        'ts-node/register/transpile-only',
        join('test', 'utils', 'embedded-pg.process.ts'),
        dir,
        String(port),
      ],
      { cwd: ROOT, env: { PATH: process.env.PATH }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString('utf8');
        const ready = /READY (\S+)/.exec(output);
        if (ready) resolve(ready[1]);
      });
      child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
      child.on('exit', (code) => reject(new Error(`postgres exited (${code}): ${output}`)));
    });
    return new PostgresProcess(child, url);
  }

  /** A clean server shutdown (pg_ctl stop): every connection is closed. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exit = once(this.child, 'exit');
    this.child.kill('SIGTERM');
    await exit;
  }
}
