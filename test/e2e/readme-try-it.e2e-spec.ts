import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort, REPO_ROOT, ServiceProcess } from '../utils/service-process';

/** The shell blocks of the README's "Try it", between its try-it markers, in order. */
function tryItBlocks(): string[] {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const begin = readme.indexOf('<!-- try-it:begin -->');
  const end = readme.indexOf('<!-- try-it:end -->');
  expect(begin).toBeGreaterThan(0);
  expect(end).toBeGreaterThan(begin);
  return [...readme.slice(begin, end).matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]);
}

/** Runs a script with bash in `cwd`, stopping at the first failing command. */
async function bash(script: string, cwd: string, env: Record<string, string>) {
  const child = spawn('bash', ['-euo', 'pipefail', '-c', script], {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (out += c.toString('utf8')));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, out };
}

/**
 * The README's "Try it", pasted as written into a new shell after a first `npm start`: no
 * secret chosen (the generated one is read from .data), default tenant, only BASE set
 * because the test cannot have port 3000.
 */
describe('README "Try it"', () => {
  // The shell's working folder plays the checkout: the service keeps its data in .data/pg
  // below it, as `npm start` does in a fresh clone.
  const root = join(REPO_ROOT, '.data', `e2e-readme-${randomBytes(4).toString('hex')}`);
  let service: ServiceProcess | undefined;

  beforeAll(async () => {
    await mkdir(root, { recursive: true, mode: 0o755 });
  });
  afterAll(async () => {
    await service?.stop('SIGTERM');
    await rm(root, { recursive: true, force: true });
  });

  it('runs end to end: a traced change, an import by its COI, an approved CIBA flow', async () => {
    const blocks = tryItBlocks();
    expect(blocks.length).toBeGreaterThanOrEqual(4);
    const port = await freePort();
    service = new ServiceProcess({
      PORT: String(port),
      HOST: '127.0.0.1',
      EMBEDDED_PG_DATA_DIR: join(root, '.data', 'pg'),
      EMBEDDED_PG_PORT: String(await freePort()),
    });
    const base = `http://127.0.0.1:${port}`;
    await service.waitFor(`${base}/health/ready`, 180_000);
    expect(service.text).toContain('client_secret:');

    const { code, out } = await bash(blocks.join('\n'), root, { BASE: base });
    if (code !== 0)
      throw new Error(`the README blocks failed (exit ${code}):\n${out.slice(-3000)}`);

    // The user's record, found by its correlation id.
    expect(out).toMatch(
      /"correlationId":"onboarding-42"[^\n]*"actionName":"createUser"[^\n]*"result":"RESPONSE_SUCCESS"[^\n]*"targetUserId":\{"id":"bjensen"/,
    );
    // The import: completed, one item refused alone, and its records found by COI.
    const coi = /^COI: ([0-9A-Z]{20})$/m.exec(out)?.[1];
    expect(coi).toBeDefined();
    expect(out).toMatch(/"status":"completed","importSize":3,"nbImported":2,"nbFailed":1/);
    const importRecords = out
      .split('\n')
      .find((l) => l.includes('"totalResults"') && l.includes(`"COI":"${coi}"`));
    expect(importRecords).toBeDefined();
    for (const action of ['"step":"start"', '"id":"alice"', '"id":"bob"', '"step":"end"']) {
      expect(importRecords).toContain(action);
    }
    // The CIBA flow: approved, tokens issued once, every step found by its COI.
    expect(out).toContain('approve: HTTP 204');
    expect(out).toMatch(/"access_token":"[^"]+","token_type":"Bearer"[^\n]*"id_token":"/);
    const authReqId = /^auth_req_id: (\S+)$/m.exec(out)?.[1];
    const flow = out.split('\n').find((l) => l.includes(`"COI":"${authReqId}"`));
    for (const action of ['createCibaRequest', 'approveChallenge', 'primaryAuthenticateUP']) {
      expect(flow).toContain(`"actionName":"${action}"`);
    }
    // Nothing the blocks did was refused.
    expect(out).not.toMatch(/invalid_client|"status":"40[13]"/);
  }, 300_000);
});
