import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { once } from 'node:events';
import { join } from 'node:path';
import { Client } from 'pg';
import { deployedNodeArgs, freePort, REPO_ROOT, ServiceProcess } from '../utils/service-process';
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

/** Lines of a service's output that are JSON log lines at error level or above. */
function errorLines(text: string): string[] {
  return text.split('\n').filter((l) => /^\{.*"level":(50|60)/.test(l));
}

/** A failed start: exit 1 and one plain sentence, no stack, no Nest exception dump. */
async function failedStart(service: ServiceProcess): Promise<string> {
  const { code } = await service.exited;
  const text = service.text.trim();
  if (code !== 1) throw new Error(`expected a failed start (exit 1), got ${code}:\n${text}`);
  expect(text).not.toMatch(/\n\s+at |ExceptionHandler|undefined/);
  return text;
}

describe('start-up (docs/api.md §10, docs/operations.md)', () => {
  describe('the deployed command (docs/configuration.md, Node.js runtime options)', () => {
    it('npm start, start:prod and the image run the service with the same Node options', () => {
      const args = deployedNodeArgs();
      expect(args).toContain('--max-semi-space-size=32');
      const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
        scripts: Record<string, string>;
      };
      expect(pkg.scripts['start:prod']).toBe(pkg.scripts.start);
      // The image's own CMD starts at the line's beginning (the health check's is indented).
      const dockerfile = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
      const commands = [...dockerfile.matchAll(/^CMD (\[.*\])$/gm)].map((m) => m[1]);
      expect(commands).toHaveLength(1);
      expect(JSON.parse(commands[0])).toEqual(['node', ...args, 'dist/main.js']);
    });
  });

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

    it('names a missing production admin secret, base URL and audit keys together with the others', async () => {
      const service = new ServiceProcess({ NODE_ENV: 'production', PORT: '-1' });
      expect((await service.exited).code).toBe(1);
      expect(service.text).toMatch(/5 variable/);
      expect(service.text).toContain('- AUDIT_RECORD_KEYS:');
      expect(service.text).toContain('- AUDIT_SEALING_KEY:');
      expect(service.text).toContain('- PORT:');
      expect(service.text).toContain('- BOOTSTRAP_ADMIN_SECRET: required when NODE_ENV=production');
      expect(service.text).toContain('- PUBLIC_BASE_URL: required when NODE_ENV=production');
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

    /**
     * A normal stop: job runner, HTTP, database, in well under the default 8 s budget, with
     * exit code 0 and not one line at error level.
     */
    async function stopCleanly(service: ServiceProcess, signal: NodeJS.Signals): Promise<void> {
      const pidFile = join(dataDir, 'postmaster.pid');
      const postmaster = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
      expect(alive(postmaster)).toBe(true);
      const started = Date.now();
      const { timedOut, code } = await service.stop(signal);
      expect(timedOut).toBe(false);
      expect(Date.now() - started).toBeLessThan(8000);
      expect(code).toBe(0);
      expect(errorLines(service.text)).toEqual([]);
      expect(service.text).toContain(`${signal} received: stopping`);
      expect(service.text).toContain('Stopping embedded PostgreSQL');
      // PostgreSQL removes its pid file only on a clean shutdown.
      expect(existsSync(pidFile)).toBe(false);
      expect(alive(postmaster)).toBe(false);
    }

    it('starts without DATABASE_URL, keeps data across a SIGTERM and a restart', async () => {
      const first = await start();
      expect(first.service.text).toContain('Initialising embedded PostgreSQL');
      expect(existsSync(join(dataDir, 'PG_VERSION'))).toBe(true);
      // One line says where it listens; Nest's wiring is not shown at info.
      const listening = first.service.text
        .split('\n')
        .filter((l) => l.includes('Listening on http://'));
      expect(listening).toHaveLength(1);
      expect(listening[0]).toContain(
        `Listening on ${first.base} (docs at ${first.base}/docs, health at ${first.base}/health/ready)`,
      );
      expect(first.service.text).not.toMatch(/InstanceLoader|Mapped \{|successfully started/);
      // PostgreSQL's own log is a file in its data folder.
      expect(readFileSync(join(dataDir, 'postgresql.log'), 'utf8')).toMatch(/ready to accept/);
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

      // A second instance on the same data folder is refused, naming the folder and the fix.
      const twin = new ServiceProcess({
        PORT: String(await freePort()),
        HOST: '127.0.0.1',
        EMBEDDED_PG_DATA_DIR: dataDir,
        EMBEDDED_PG_PORT: String(await freePort()),
        BOOTSTRAP_TENANTS: tenant,
        BOOTSTRAP_ADMIN_SECRET: SECRET,
      });
      expect(await failedStart(twin)).toMatch(
        new RegExp(
          `^The data folder ${dataDir} is in use by another running instance .*EMBEDDED_PG_DATA_DIR`,
        ),
      );
      // Another folder on the running server's port: the port is named, and its variable.
      const elsewhere = join(root, 'other-pg');
      const samePgPort = new ServiceProcess({
        PORT: String(await freePort()),
        HOST: '127.0.0.1',
        EMBEDDED_PG_DATA_DIR: elsewhere,
        EMBEDDED_PG_PORT: String(first.pgPort),
        BOOTSTRAP_TENANTS: tenant,
        BOOTSTRAP_ADMIN_SECRET: SECRET,
      });
      expect(await failedStart(samePgPort)).toMatch(
        new RegExp(
          `^Port ${first.pgPort} \\(EMBEDDED_PG_PORT\\) is already in use.*set EMBEDDED_PG_PORT`,
        ),
      );
      // The HTTP port, taken: refused before any database is started.
      const sameHttpPort = new ServiceProcess({
        PORT: String(port),
        HOST: '127.0.0.1',
        EMBEDDED_PG_DATA_DIR: elsewhere,
        EMBEDDED_PG_PORT: String(await freePort()),
        BOOTSTRAP_TENANTS: tenant,
        BOOTSTRAP_ADMIN_SECRET: SECRET,
      });
      expect(await failedStart(sameHttpPort)).toMatch(
        new RegExp(`^Port ${port} is already in use \\(PORT\\).*set PORT to a free port`),
      );
      expect(existsSync(elsewhere)).toBe(false);
      // The first instance never noticed.
      expect((await fetch(`${first.base}/health/ready`)).status).toBe(200);

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

    /**
     * Audit records in the embedded database, of every tenant, so read as its superuser:
     * row-level security binds the owner and the service role alike.
     */
    async function countRecords(pgPort: number): Promise<number> {
      const { superPassword } = JSON.parse(readFileSync(`${dataDir}.credentials.json`, 'utf8')) as {
        superPassword: string;
      };
      const client = new Client({
        host: '127.0.0.1',
        port: pgPort,
        user: 'postgres',
        password: superPassword,
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

  describe('broken starts name the cause and the fix', () => {
    const root = join(REPO_ROOT, '.data', `e2e-broken-${randomBytes(4).toString('hex')}`);
    beforeAll(async () => {
      await mkdir(root, { recursive: true, mode: 0o755 });
    });
    afterAll(async () => {
      await chmod(join(root, 'read-only'), 0o755).catch(() => undefined);
      await rm(root, { recursive: true, force: true });
    });

    async function startWith(
      env: Record<string, string>,
      options: { uid?: number; gid?: number } = {},
    ): Promise<ServiceProcess> {
      return new ServiceProcess(
        {
          PORT: String(await freePort()),
          HOST: '127.0.0.1',
          EMBEDDED_PG_PORT: String(await freePort()),
          BOOTSTRAP_ADMIN_SECRET: SECRET,
          ...env,
        },
        options,
      );
    }

    it('a file where the data folder should be', async () => {
      const file = join(root, 'not-a-folder');
      await writeFile(file, 'x');
      const itself = await failedStart(await startWith({ EMBEDDED_PG_DATA_DIR: file }));
      expect(itself).toBe(
        `EMBEDDED_PG_DATA_DIR (${file}) is a file, not a folder: move the file away or set EMBEDDED_PG_DATA_DIR to a folder.`,
      );
      const below = await failedStart(await startWith({ EMBEDDED_PG_DATA_DIR: join(file, 'pg') }));
      expect(below).toBe(
        `The data folder ${join(file, 'pg')} cannot be made because ${file} is a file: move it away or set EMBEDDED_PG_DATA_DIR to another folder.`,
      );
    });

    it('a data folder this user cannot write', async () => {
      const readOnly = join(root, 'read-only');
      await mkdir(readOnly, { mode: 0o755 });
      await chmod(readOnly, 0o555);
      // root may write anywhere: the check is then made as an unprivileged user.
      const asUser = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
      const text = await failedStart(
        await startWith({ EMBEDDED_PG_DATA_DIR: join(readOnly, 'pg') }, asUser),
      );
      expect(text).toMatch(
        new RegExp(
          `^The data folder ${join(readOnly, 'pg')} is not writable by .*EMBEDDED_PG_DATA_DIR`,
        ),
      );
    });

    it('reads .env for what the environment leaves unset, the environment winning', async () => {
      const blocker = createServer();
      blocker.listen(0, '127.0.0.1');
      await once(blocker, 'listening');
      const taken = (blocker.address() as { port: number }).port;
      try {
        const envFile = join(root, 'service.env');
        // The file's PORT is taken; its bad CORRELATION_ID_MAX_LENGTH is overridden.
        await writeFile(envFile, `PORT=${taken}\nCORRELATION_ID_MAX_LENGTH=500\n`);
        const service = new ServiceProcess({
          ENV_FILE: envFile,
          HOST: '127.0.0.1',
          CORRELATION_ID_MAX_LENGTH: '64',
          EMBEDDED_PG_DATA_DIR: join(root, 'env-pg'),
          BOOTSTRAP_ADMIN_SECRET: SECRET,
        });
        expect(await failedStart(service)).toMatch(
          new RegExp(`^Port ${taken} is already in use \\(PORT\\)`),
        );
      } finally {
        blocker.close();
      }
    });
  });
});
