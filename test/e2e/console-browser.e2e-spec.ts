import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Browser, chromium, Page } from 'playwright-core';
import { ClientKit } from '../factories/client';
import { listen } from '../utils/http';
import { IMPORT_TEST_ENV, postImport, waitForImport } from '../utils/imports';
import { useTestApp } from '../utils/suite';
import { ADMIN_SECRET, uniqueId } from '../utils/test-app';

const CHROMIUM = '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-sync'];
const shot = (name: string) => resolve(__dirname, '..', '..', 'docs', `console-${name}.png`);

/**
 * The audit console in headless Chromium (docs/console.md): sign-in, search by a correlation
 * id the test made, the timelines of a client registration and of a bulk import, a record's
 * detail; the screenshots in docs/ are taken here.
 */
describe('Audit console in a browser (issue 16)', () => {
  const s = useTestApp({ env: { ...IMPORT_TEST_ENV, TAIL_POLL_INTERVAL_MS: '200' } });
  let browser: Browser;
  let page: Page;
  let base: string;
  const errors: string[] = [];
  const registration = uniqueId('onboard-acme');

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium`);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
    base = `http://127.0.0.1:${await listen(s.t.app)}`;
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.on('pageerror', (e) => errors.push(e.message));
    // The 404s of the integrity endpoints the console probes for are expected until they land.
    page.on('console', (m) => {
      if (m.type() === 'error' && !m.text().includes('status of 404')) errors.push(m.text());
    });
  }, 60_000);
  afterAll(() => browser?.close());

  it('is served with a strict Content-Security-Policy, and /console leads to it', async () => {
    const res = await s.t.request({ method: 'GET', url: '/console/' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    expect((await s.t.request({ method: 'GET', url: '/console' })).statusCode).toBe(301);
  });

  it('signs in, searches by correlation id, shows the timeline and a record', async () => {
    const kit = new ClientKit(s.t);
    const traceId = randomBytes(16).toString('hex');
    const registered = await kit.register(
      { client_name: 'Acme onboarding' },
      {
        token: await s.t.adminToken(),
        correlationId: registration,
        headers: {
          'user-agent': 'acme-onboarding/1.0',
          traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01`,
        },
      },
    );
    expect(registered.statusCode).toBe(201);
    const clientId = registered.json<{ client_id: string }>().client_id;
    const requests: { url: string; correlationId?: string }[] = [];
    page.on('request', (r) =>
      requests.push({ url: r.url(), correlationId: r.headers()['x-correlation-id'] }),
    );

    await page.goto(`${base}/console/`);
    await page.getByLabel('Tenant').fill(s.t.tenant);
    await page.getByLabel('Client id').fill(`${s.t.tenant}-admin`);
    await page.getByLabel('Client secret').fill(ADMIN_SECRET);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#search-view').waitFor();

    await page.getByLabel('Correlation id').fill(registration);
    await page.keyboard.press('Enter');
    const rows = page.locator('#results tbody tr');
    await rows.nth(2).waitFor();
    expect(await rows.count()).toBe(3);
    expect(await page.locator('#search-status').textContent()).toBe('3 records');
    await page.screenshot({ path: shot('search'), fullPage: true });

    await rows.first().getByRole('link', { name: registration }).click();
    const entries = page.locator('#timeline .entry');
    await entries.nth(2).waitFor();
    expect(
      await entries.evaluateAll((els) =>
        els.map((e) => (e as unknown as { dataset: Record<string, string> }).dataset.action),
      ),
    ).toEqual((await s.t.recordsFor(registration)).map((r) => r.action_name));
    expect(await page.locator('#timeline > li').count()).toBe(1);
    expect(await page.locator('#timeline-summary').textContent()).toBe(
      '3 records in 1 requests, 0 failed',
    );
    expect(await entries.first().locator('.offset').textContent()).toBe('+0.000 s');
    expect(await entries.nth(1).locator('.story').textContent()).toContain(
      `${s.t.tenant}-admin → createAdapterConfiguration`,
    );
    await page.screenshot({ path: shot('timeline-registration'), fullPage: true });

    await entries
      .nth(1)
      .getByRole('link', { name: /createAdapterConfiguration/ })
      .click();
    await page
      .locator('#record-json')
      .filter({ hasText: '"actionName": "createAdapterConfiguration"' })
      .waitFor();
    expect(await page.locator('#record-facts').textContent()).toContain(registration);
    // Where the call came from: the facts the record stored, each under its own term.
    const terms = await page.locator('#record-facts dt').allTextContents();
    const values = await page.locator('#record-facts dd').allTextContents();
    const facts = Object.fromEntries(terms.map((term, i) => [term, values[i]]));
    const record = (await s.t.recordsFor(registration)).find(
      (r) => r.action_name === 'createAdapterConfiguration',
    );
    expect(facts).toMatchObject({
      'Client address': record.client.ipAddress,
      'User agent': 'acme-onboarding/1.0',
      'Trace id': traceId,
    });
    // What the registration set, one row per attribute: values as text, secrets without one.
    const cells: string[][] = [];
    for (const row of await page.locator('#record-changes table tbody tr').all()) {
      cells.push(await row.locator('td').allTextContents());
    }
    expect(await page.locator('#record-changes table thead th').allTextContents()).toEqual([
      'Attribute',
      'Operation',
      'Before',
      'After',
    ]);
    expect(cells).toEqual(
      record.changes.map(
        (c: { attribute: string; op: string; before?: string; after?: string }) => [
          c.attribute,
          c.op,
          c.before ?? '',
          c.after ?? '',
        ],
      ),
    );
    expect(cells).toEqual(
      expect.arrayContaining([
        ['client_id', 'add', '', clientId],
        ['client_name', 'add', '', 'Acme onboarding'],
        ['grant_types', 'add', '', '["client_credentials"]'],
        ['registration_access_token', 'add', '', ''],
      ]),
    );
    expect(await page.locator('#record-changes').textContent()).not.toContain(
      registered.json<{ registration_access_token: string }>().registration_access_token,
    );
    await page
      .locator('#record-verification')
      .filter({ hasText: /sealed|pending|not available/ })
      .waitFor();
    await page.screenshot({ path: shot('record'), fullPage: true });

    // Every API call of the console had a correlation id of its own; the token never left memory.
    const calls = requests.filter((r) => r.url.includes(`/${s.t.tenant}/`));
    expect(calls.length).toBeGreaterThan(3);
    expect(calls.every((c) => c.correlationId?.startsWith('console-'))).toBe(true);
    expect(new Set(calls.map((c) => c.correlationId)).size).toBe(calls.length);
    const stored = await page.evaluate(() => {
      const w = globalThis as unknown as Record<string, { href?: string }>;
      return (
        JSON.stringify({ ...w.localStorage }) +
        JSON.stringify({ ...w.sessionStorage }) +
        w.location.href
      );
    });
    expect(stored).not.toMatch(/eyJ/);
    expect(errors).toEqual([]);
  }, 60_000);

  it('shows a bulk import under one COI, background items marked, failures highlighted, live', async () => {
    const users = ['ada', 'grace', 'ada', 'linus'].map((n, i) => ({
      userName: `${n}-${uniqueId('imp')}`.slice(0, i === 2 ? undefined : 200),
      ...(i === 2 ? { userName: '' } : {}),
      name: { givenName: n },
      emails: [{ value: `${n}@example.com` }],
    }));
    const accepted = await postImport(s.t, 'Users', { users }, uniqueId('nightly-sync'));
    expect(accepted.statusCode).toBe(201);
    const coi = accepted.json().correlationId as string;
    await waitForImport(s.t, accepted.headers.location as string);

    await page.goto(`${base}/console/#timeline/coi/${coi}`);
    // Reloading signs the page out (the token was only in memory): sign in again.
    await page.reload();
    await page.getByLabel('Tenant').fill(s.t.tenant);
    await page.getByLabel('Client id').fill(`${s.t.tenant}-admin`);
    await page.getByLabel('Client secret').fill(ADMIN_SECRET);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const entries = page.locator('#timeline .entry');
    await entries.nth(5).waitFor();
    const actions = await entries.evaluateAll((els) =>
      els.map((e) => (e as unknown as { dataset: Record<string, string> }).dataset.action),
    );
    expect(actions[0]).toBe('importUsers');
    expect(actions.at(-1)).toBe('importUsers');
    expect(actions.slice(1, -1).every((a) => a === 'createUser')).toBe(true);
    expect(await page.locator('#timeline .entry.failure').count()).toBe(1);
    expect(await page.locator('#timeline .entry.background').count()).toBe(actions.length - 1);
    await page.screenshot({ path: shot('timeline-import'), fullPage: true });

    // Live: a record of the same COI written now appears without reloading.
    await page.locator('#live').check();
    await page.locator('#live-status').filter({ hasText: 'following' }).waitFor();
    await s.t.db.query(
      `INSERT INTO audit_records (id, tenant_id, coi, request_id, service_id, action_name, action_parameters, result, created, hash)
       VALUES (gen_random_uuid(), $1, $2, gen_random_uuid(), 'CH_DIRECT', 'importUsers', jsonb_build_object('Action','importUsers','COI',$2::text,'step','end'), 'RESPONSE_SUCCESS', now(), '')`,
      [s.t.tenant, coi],
    );
    await entries.nth(actions.length).waitFor({ timeout: 5000 });

    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: shot('timeline-phone'), fullPage: false });
    expect(errors).toEqual([]);
  }, 60_000);
});
