import { ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { bulkRecords, recordAs } from '../utils/audit-seed';
import { listen } from '../utils/http';
import { useTestApp } from '../utils/suite';
import { ADMIN_SECRET, uniqueId } from '../utils/test-app';

const ROOT = resolve(__dirname, '..', '..');
const CLI = ['-r', 'ts-node/register/transpile-only', join(ROOT, 'src/cli/mgmt-audit.ts')];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The CLI as its own process against the service listening in this test (issue 16, part 5). */
describe('mgmt-audit CLI', () => {
  const s = useTestApp({ env: { EXPORT_BATCH_SIZE: '100', TAIL_POLL_INTERVAL_MS: '100' } });
  let env: NodeJS.ProcessEnv;
  let dir: string;

  beforeAll(async () => {
    const port = await listen(s.t.app);
    env = {
      PATH: process.env.PATH,
      MGMT_AUDIT_URL: `http://127.0.0.1:${port}`,
      MGMT_AUDIT_TENANT: s.t.tenant,
      MGMT_AUDIT_CLIENT_ID: `${s.t.tenant}-admin`,
      MGMT_AUDIT_CLIENT_SECRET: ADMIN_SECRET,
    };
    dir = mkdtempSync(join(tmpdir(), 'mgmt-audit-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const run = (args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<Run> =>
    new Promise((done) => {
      execFile(
        process.execPath,
        [...CLI, ...args],
        { env: { ...env, ...extraEnv }, cwd: ROOT },
        (error, stdout, stderr) =>
          done({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });

  it('has --help on every command', async () => {
    const top = await run(['--help']);
    expect(top.code).toBe(0);
    for (const command of ['search', 'tail', 'export', 'verify'])
      expect(top.stdout).toContain(command);
    expect(top.stdout).toContain('MGMT_AUDIT_CLIENT_SECRET');
    const exp = await run(['export', '--help']);
    expect(exp.stdout).toContain('--output <file>');
    expect(exp.stdout).toContain('"ndjson", "csv"');
  }, 60_000);

  it('searches, and refuses to run without credentials', async () => {
    const cid = uniqueId('cli-search');
    await recordAs(s.t, { correlationId: cid }, 'createUser');
    await recordAs(s.t, { correlationId: cid }, 'deleteUser');
    const res = await run(['search', `correlationId eq "${cid}"`]);
    expect(res.code).toBe(0);
    const records = res.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(records.map((r) => r.action.actionName)).toEqual(['createUser', 'deleteUser']);

    const anonymous = await run(['search'], { MGMT_AUDIT_CLIENT_SECRET: '' });
    expect(anonymous.code).toBe(2);
    expect(anonymous.stderr).toContain('MGMT_AUDIT_CLIENT_SECRET');
  }, 60_000);

  it('exports to a file with its manifest checked, and resumes an interrupted export', async () => {
    const cid = uniqueId('cli-export');
    await bulkRecords(s.t, 300, cid);
    const filter = `correlationId eq "${cid}"`;
    const full = join(dir, 'full.ndjson');
    const first = await run(['export', filter, '-o', full]);
    expect(first.code).toBe(0);
    expect(first.stderr).toContain('300 records in');
    expect(first.stderr).toContain('manifest verified');
    const lines = readFileSync(full, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(301);
    expect(JSON.parse(lines[300]).count).toBe(300);

    // Cut in the middle of record 121: the CLI keeps 120 whole records and fetches the rest.
    const cut = join(dir, 'cut.ndjson');
    const kept = lines.slice(0, 120).join('\n') + '\n' + lines[120].slice(0, 40);
    writeFileSync(cut, kept);
    const resumed = await run(['export', filter, '-o', cut]);
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toContain('300 records in');
    const again = readFileSync(cut, 'utf8').trimEnd().split('\n');
    expect(again.slice(0, 300)).toEqual(lines.slice(0, 300));
    expect(JSON.parse(again[300])).toMatchObject({ count: 180, after: JSON.parse(lines[119]).id });
    expect((await run(['export', filter, '-o', cut])).stderr).toContain(
      'already a complete export',
    );

    const csv = join(dir, 'out.csv');
    const asCsv = await run(['export', filter, '--format', 'csv', '-o', csv]);
    expect(asCsv.code).toBe(0);
    expect(JSON.parse(readFileSync(`${csv}.manifest.json`, 'utf8'))).toMatchObject({
      count: 300,
      format: 'csv',
    });
    truncateSync(csv, 0);
  }, 90_000);

  it('tails new records and says when the service has no verifier', async () => {
    const cid = uniqueId('cli-tail');
    const child: ChildProcess = spawn(
      process.execPath,
      [...CLI, 'tail', `correlationId eq "${cid}"`, '--max', '2'],
      {
        env,
        cwd: ROOT,
      },
    );
    let out = '';
    child.stdout!.on('data', (chunk) => (out += String(chunk)));
    const exited = new Promise<number | null>((done) => child.on('exit', done));
    // Records keep coming until the tail has picked two of them up.
    const writer = setInterval(
      () =>
        void recordAs(s.t, { correlationId: cid }, 'updateUser', { parameters: { method: 'PUT' } }),
      700,
    );
    const code = await exited;
    clearInterval(writer);
    expect(code).toBe(0);
    const records = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(records).toHaveLength(2);
    expect(records.every((r) => r.correlationId === cid)).toBe(true);

    const verify = await run(['verify']);
    expect([0, 1, 2]).toContain(verify.code);
    if (verify.code === 2) expect(verify.stderr).toContain('no verifier');
  }, 60_000);
});
