import { existsSync } from 'node:fs';
import { Browser, chromium } from 'playwright-core';
import { listen } from '../utils/http';
import { useTestApp } from '../utils/suite';
import { TestApp } from '../utils/test-app';

const CHROMIUM = '/usr/bin/chromium';
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
];

/**
 * Swagger UI's own request path in a real browser: after Authorize, "Try it out" on a
 * protected operation sends the bearer token and gets 200. CI installs chromium (.ci/run).
 */
describe('OpenAPI in Swagger UI (API.md §10)', () => {
  const s = useTestApp();
  let t: TestApp;
  let browser: Browser;

  beforeAll(async () => {
    t = s.t;
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium`);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
  }, 60_000);
  afterAll(() => browser?.close());

  it('sends the token given under Authorize with "Try it out", and the call succeeds', async () => {
    const port = await listen(t.app);
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${port}/docs`);

    await page.locator('button.authorize').first().click();
    const bearer = page.locator('.auth-container').filter({ hasText: '(http, Bearer)' });
    await bearer.locator('input').fill(s.token);
    await bearer.locator('button.authorize').click();
    await page.locator('button.btn-done').first().click();

    const operation = page.locator('#operations-SCIM_Users-listUsers');
    await operation.locator('.opblock-summary').click();
    await operation.locator('button.try-out__btn').click();
    await operation.locator('tr[data-param-name="tenant"] input').fill(t.tenant);
    await operation.locator('tr[data-param-name="count"] input').fill('1');
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.url().includes(`/${t.tenant}/v2/Users`)),
      operation.locator('button.execute').click(),
    ]);

    expect(response.request().headers().authorization).toBe(`Bearer ${s.token}`);
    expect(response.status()).toBe(200);
    expect((await response.json()).schemas).toEqual([
      'urn:ietf:params:scim:api:messages:2.0:ListResponse',
    ]);
    // And the page shows it as Swagger UI's answer.
    const shown = operation.locator('.live-responses-table tbody .response-col_status').first();
    await shown.waitFor();
    expect(await shown.textContent()).toContain('200');
    await page.close();
  }, 60_000);

  it('declares security on every operation that takes a token, and the error answers', async () => {
    const doc = (await t.request({ method: 'GET', url: '/docs-json' })).json();
    const operations = Object.entries(doc.paths).flatMap(([path, item]: [string, any]) =>
      Object.entries(item).map(([method, op]: [string, any]) => ({ path, method, op })),
    );
    const open = operations.filter((o) => o.op.security.length === 0).map((o) => o.op.operationId);
    expect(open.sort()).toEqual([
      'getAuditSealingKeys',
      'getJwks',
      'getLiveness',
      'getMetrics',
      'getOpenIdConfiguration',
      'getReadiness',
    ]);
    const token = operations.find((o) => o.op.operationId === 'issueToken')!.op;
    expect(token.security).toEqual([{ client_secret_basic: [] }, {}]);
    expect(
      token.requestBody.content['application/x-www-form-urlencoded'].schema.properties.grant_type,
    ).toBeDefined();
    for (const { path, op } of operations) {
      const scim = path.includes('/v2/');
      const error = op.responses['400'];
      expect([op.operationId, error.content['application/json'].schema.$ref]).toEqual([
        op.operationId,
        `#/components/schemas/${scim ? 'ScimError' : 'OAuthError'}`,
      ]);
      expect(Object.keys(error.headers)).toEqual(
        expect.arrayContaining(['X-Correlation-ID', 'X-Request-ID']),
      );
    }
  });
});
