import { userBody } from '../factories/user';
import { createTestApp, TestApp } from '../utils/test-app';

describe('smoke', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('creates a user and records it with the correlation id', async () => {
    const token = await t.adminToken();
    const res = await t.request({
      method: 'POST',
      url: `/${t.tenant}/v2/Users`,
      token,
      correlationId: 'smoke-1',
      payload: userBody('smoke'),
    });
    expect(res.statusCode).toBe(201);
    const records = await t.recordsFor('smoke-1');
    expect(records.map((r) => r.action_name)).toEqual(['createUser']);
  });
});
