import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { once } from 'node:events';
import { join } from 'node:path';
import { ADMIN_SECRET } from './test-app';
import { freePort, REPO_ROOT, ServiceProcess } from './service-process';

/**
 * A running service process for one tenant, with what the import durability tests need:
 * a token, HTTP calls, its structured log lines, and `kill -9`.
 */
export class ServiceInstance {
  private constructor(
    private readonly service: ServiceProcess,
    readonly baseUrl: string,
    readonly tenant: string,
  ) {}

  /** `db`: the service role's URL and the schema owner's (migrations). */
  static async start(
    db: { url: string; ownerUrl: string },
    tenant: string,
    env: Record<string, string> = {},
  ): Promise<ServiceInstance> {
    const port = await freePort();
    const service = new ServiceProcess({
      NODE_ENV: 'test',
      DATABASE_URL: db.url,
      MIGRATION_DATABASE_URL: db.ownerUrl,
      HOST: '127.0.0.1',
      PORT: String(port),
      BOOTSTRAP_TENANTS: tenant,
      BOOTSTRAP_ADMIN_SECRET: ADMIN_SECRET,
      LOG_LEVEL: 'info',
      DB_POOL_SIZE: '4',
      ...env,
    });
    const baseUrl = `http://127.0.0.1:${port}`;
    await service.waitFor(`${baseUrl}/health/live`, 90_000);
    return new ServiceInstance(service, baseUrl, tenant);
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
    return this.service.text
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l))
      .filter((l) => l.msg === msg);
  }

  /** SIGKILL: no shutdown hook, no graceful stop; open transactions die with the connection. */
  async kill9(): Promise<void> {
    await this.service.stop('SIGKILL');
  }

  async stop(): Promise<void> {
    await this.service.stop();
  }
}

/** An embedded PostgreSQL in a child process, so a test can stop and start it again. */
export class PostgresProcess {
  private constructor(
    private readonly child: ChildProcess,
    /** The service role's URL. */
    readonly url: string,
    readonly ownerUrl: string,
    /** A superuser's, for reading what the test checks across tenants. */
    readonly superuserUrl: string,
    private readonly dir: string,
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
      { cwd: REPO_ROOT, env: { PATH: process.env.PATH }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    const urls = await new Promise<string[]>((resolve, reject) => {
      child.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString('utf8');
        const ready = /READY (\S+) (\S+) (\S+)/.exec(output);
        if (ready) resolve(ready.slice(1));
      });
      child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
      child.on('exit', (code) => reject(new Error(`postgres exited (${code}): ${output}`)));
    });
    return new PostgresProcess(child, urls[0], urls[1], urls[2], dir);
  }

  /**
   * A hung server: SIGSTOP to the postmaster and every backend, so connections stay open
   * and new ones are accepted by the kernel, but nothing answers.
   */
  async freeze(): Promise<void> {
    const postmaster = await this.postmasterPid();
    process.kill(postmaster, 'SIGSTOP');
    for (const pid of childPids(postmaster)) process.kill(pid, 'SIGSTOP');
  }

  /** Undoes freeze(): backends first, then the postmaster. */
  async thaw(): Promise<void> {
    const postmaster = await this.postmasterPid();
    for (const pid of childPids(postmaster)) process.kill(pid, 'SIGCONT');
    process.kill(postmaster, 'SIGCONT');
  }

  private async postmasterPid(): Promise<number> {
    const text = await readFile(join(this.dir, 'postmaster.pid'), 'utf8');
    return Number(text.split('\n')[0]);
  }

  /**
   * PostgreSQL's immediate shutdown (SIGQUIT to the postmaster, as `pg_ctl stop -m
   * immediate`): no checkpoint, every backend dropped at once; the next start replays the
   * WAL, as after a crash. The wrapper process is then killed, as nothing is left to stop.
   */
  async stopImmediately(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const postmaster = await this.postmasterPid();
    process.kill(postmaster, 'SIGQUIT');
    const deadline = Date.now() + 30_000;
    while (isRunning(postmaster) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const exit = once(this.child, 'exit');
    this.child.kill('SIGKILL');
    await exit;
  }

  /** A clean server shutdown (pg_ctl stop): every connection is closed. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exit = once(this.child, 'exit');
    this.child.kill('SIGTERM');
    await exit;
  }
}

function childPids(parent: number): number[] {
  const out = execFileSync('ps', ['-o', 'pid=', '--ppid', String(parent)], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((l) => Number(l.trim()))
    .filter((pid) => pid > 0);
}

/** Whether `pid` is a live process (a zombie, exited but not yet reaped, is not). */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
