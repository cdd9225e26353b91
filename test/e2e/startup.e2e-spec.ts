import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Client } from 'pg';
import { freePort, REPO_ROOT, ServiceProcess } from '../utils/service-process';
import { USER_SCHEMA } from '../utils/test-app';

const SECRET = 'startup-admin-secret-0123456789';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

describe('start-up (API.md §10)', () => {
  describe('configuration errors', () => {
    it('exits non-zero naming every bad variable in one message', async () => {
      const service = new ServiceProcess({
        PORT: 'abc',
        CORRELATION_ID_MAX_LENGTH: '200',
        LOG_LEVEL: 'loud',
        BOOTSTRAP_TENANTS: 'Bad_Name',
        DATABASE_URL: 'mysql://nope',
        AUDIT_LOG_ACCESS: 'maybe',
      });
      const { code } = await service.exited;
      expect(code).toBe(1);
      const text = service.text;
      expect(text).toMatch(/Invalid configuration \(6 variable\(s\)\)/);
      for (const name of [
        'PORT',
        'CORRELATION_ID_MAX_LENGTH',
        'LOG_LEVEL',
        'BOOTSTRAP_TENANTS',
        'DATABASE_URL',
        'AUDIT_LOG_ACCESS',
      ]) {
        expect(text).toContain(`- ${name}:`);
      }
      expect(text).not.toMatch(/\n\s+at /);
    });

    it('names a missing production admin secret together with the others', async () => {
      const service = new ServiceProcess({ NODE_ENV: 'production', PORT: '-1' });
      expect((await service.exited).code).toBe(1);
      expect(service.text).toMatch(/2 variable/);
      expect(service.text).toContain('- PORT:');
      expect(service.text).toContain('- BOOTSTRAP_ADMIN_SECRET: required when NODE_ENV=production');
    });
  });

  describe('embedded PostgreSQL', () => {
    // Under the checkout's .data/ as `npm start` uses it; every folder above is traversable,
    // which the server needs when it runs as the OS user postgres (tests running as root).
    const root = join(REPO_ROOT, '.data', `e2e-startup-${randomBytes(4).toString('hex')}`);
    const dataDir = join(root, 'pg');
    const tenant = `startup-${randomBytes(3).toString('hex')}`;
    const services: ServiceProcess[] = [];

    beforeAll(async () => {
      await mkdir(root, { recursive: true, mode: 0o755 });
    });
    afterAll(async () => {
      for (const service of services) await service.stop('SIGKILL');
      const pidFile = join(dataDir, 'postmaster.pid');
      if (existsSync(pidFile)) {
        const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
        if (pid > 0 && alive(pid)) process.kill(pid, 'SIGKILL');
      }
      await rm(root, { recursive: true, force: true });
    });

    let port: number;

    /** Starts the service; a restart keeps the HTTP port, as a real one would. */
    async function start(): Promise<{ service: ServiceProcess; base: string; pgPort: number }> {
      port ??= await freePort();
      const pgPort = await freePort();
      const service = new ServiceProcess({
        PORT: String(port),
        HOST: '127.0.0.1',
        EMBEDDED_PG_DATA_DIR: dataDir,
        EMBEDDED_PG_PORT: String(pgPort),
        BOOTSTRAP_TENANTS: tenant,
        BOOTSTRAP_ADMIN_SECRET: SECRET,
        LOG_LEVEL: 'info',
      });
      services.push(service);
      const base = `http://127.0.0.1:${port}`;
      await service.waitFor(`${base}/health/ready`, 180_000);
      return { service, base, pgPort };
    }

    async function adminToken(base: string): Promise<string> {
      const res = await fetch(`${base}/${tenant}/authn/token`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${tenant}-admin:${SECRET}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: 'grant_type=client_credentials',
      });
      expect(res.status).toBe(200);
      return ((await res.json()) as { access_token: string }).access_token;
    }

    async function stopCleanly(service: ServiceProcess, signal: NodeJS.Signals): Promise<void> {
      const pidFile = join(dataDir, 'postmaster.pid');
      const postmaster = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
      expect(alive(postmaster)).toBe(true);
      const { timedOut } = await service.stop(signal);
      expect(timedOut).toBe(false);
      expect(service.text).toContain('Stopping embedded PostgreSQL');
      // PostgreSQL removes its pid file only on a clean shutdown.
      expect(existsSync(pidFile)).toBe(false);
      expect(alive(postmaster)).toBe(false);
    }

    it('starts without DATABASE_URL, keeps data across a SIGTERM and a restart', async () => {
      const first = await start();
      expect(first.service.text).toContain('Initialising embedded PostgreSQL');
      expect(existsSync(join(dataDir, 'PG_VERSION'))).toBe(true);
      const token = await adminToken(first.base);
      const userName = `kept-${randomBytes(3).toString('hex')}`;
      const created = await fetch(`${first.base}/${tenant}/v2/Users`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/scim+json',
          'x-correlation-id': 'startup-create',
        },
        body: JSON.stringify({ schemas: [USER_SCHEMA], userName }),
      });
      expect(created.status).toBe(201);
      expect(created.headers.get('x-correlation-id')).toBe('startup-create');
      const { id } = (await created.json()) as { id: string };
      const recordsBefore = await countRecords(first.pgPort);
      expect(recordsBefore).toBeGreaterThanOrEqual(5);
      await stopCleanly(first.service, 'SIGTERM');

      const second = await start();
      expect(second.service.text).not.toContain('Initialising embedded PostgreSQL');
      const again = await fetch(`${second.base}/${tenant}/v2/Users/${id}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(again.status).toBe(200);
      expect(((await again.json()) as { userName: string }).userName).toBe(userName);
      // Bootstrap found everything in place: no new record.
      expect(await countRecords(second.pgPort)).toBe(recordsBefore);
      await stopCleanly(second.service, 'SIGINT');
    }, 420_000);

    /** Audit records in the embedded database, read with the service's own credentials. */
    async function countRecords(pgPort: number): Promise<number> {
      const { appPassword } = JSON.parse(readFileSync(`${dataDir}.credentials.json`, 'utf8')) as {
        appPassword: string;
      };
      const client = new Client({
        host: '127.0.0.1',
        port: pgPort,
        user: 'app',
        password: appPassword,
        database: 'mgmt',
      });
      await client.connect();
      try {
        const { rows } = await client.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM audit_records',
        );
        return rows[0].n;
      } finally {
        await client.end();
      }
    }
  });
});
