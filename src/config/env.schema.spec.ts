import { loadConfig } from './app-config';

describe('configuration', () => {
  it('applies defaults', () => {
    const c = loadConfig({});
    expect(c.port).toBe(3000);
    expect(c.correlationIdMaxLength).toBe(64);
    expect(c.auditLogAccess).toBe(true);
    expect(c.bootstrapTenants).toEqual(['default']);
    expect(c.scimResourcesKey).toBe('Resources');
  });

  it('names every bad variable in one error', () => {
    expect(() =>
      loadConfig({ PORT: 'abc', CORRELATION_ID_MAX_LENGTH: '129', AUDIT_LOG_ACCESS: 'maybe' }),
    ).toThrow(/3 variable[\s\S]*PORT[\s\S]*CORRELATION_ID_MAX_LENGTH[\s\S]*AUDIT_LOG_ACCESS/);
  });

  it.each(['0', '129', '-1', 'x'])('refuses CORRELATION_ID_MAX_LENGTH=%s', (v) => {
    expect(() => loadConfig({ CORRELATION_ID_MAX_LENGTH: v })).toThrow(/CORRELATION_ID_MAX_LENGTH/);
  });

  it('accepts the 1..128 range', () => {
    expect(loadConfig({ CORRELATION_ID_MAX_LENGTH: '1' }).correlationIdMaxLength).toBe(1);
    expect(loadConfig({ CORRELATION_ID_MAX_LENGTH: '128' }).correlationIdMaxLength).toBe(128);
  });

  const AUDIT_KEYS = {
    AUDIT_RECORD_KEYS: `k1:${'A'.repeat(43)}=`,
    AUDIT_SEALING_KEY_FILE: 'sealing.pem',
  };

  it('requires the admin secret in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/BOOTSTRAP_ADMIN_SECRET/);
  });

  it('requires the public base URL in production', () => {
    expect(() =>
      loadConfig({ NODE_ENV: 'production', BOOTSTRAP_ADMIN_SECRET: 'a'.repeat(16), ...AUDIT_KEYS }),
    ).toThrow(/1 variable[\s\S]*PUBLIC_BASE_URL: required when NODE_ENV=production/);
  });

  it('uses the public base URL exactly, without a trailing slash', () => {
    const c = loadConfig({
      NODE_ENV: 'production',
      BOOTSTRAP_ADMIN_SECRET: 'a'.repeat(16),
      PUBLIC_BASE_URL: 'https://idp.example.com/mgmt/',
      ...AUDIT_KEYS,
    });
    expect(c.publicBaseUrl).toBe('https://idp.example.com/mgmt');
  });

  it.each([
    'idp.example.com',
    'ftp://idp.example.com',
    'https://idp.example.com/?a=1',
    'https://idp.example.com/#x',
  ])('refuses PUBLIC_BASE_URL=%s', (v) => {
    expect(() => loadConfig({ PUBLIC_BASE_URL: v })).toThrow(/PUBLIC_BASE_URL/);
  });

  it('names the missing production settings together with the other bad variables', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', PORT: 'abc' })).toThrow(
      /5 variable[\s\S]*PORT[\s\S]*BOOTSTRAP_ADMIN_SECRET: required when NODE_ENV=production[\s\S]*PUBLIC_BASE_URL: required[\s\S]*AUDIT_RECORD_KEYS: required[\s\S]*AUDIT_SEALING_KEY: required/,
    );
  });

  it('reads the audit record keys and refuses a malformed list', () => {
    expect(loadConfig(AUDIT_KEYS).auditIntegrity.recordKeys).toBe(AUDIT_KEYS.AUDIT_RECORD_KEYS);
    expect(() => loadConfig({ AUDIT_RECORD_KEYS: 'k1' })).toThrow(/AUDIT_RECORD_KEYS/);
    expect(() => loadConfig({ AUDIT_SEAL_INTERVAL_SECONDS: '11' })).toThrow(
      /AUDIT_SEAL_INTERVAL_SECONDS/,
    );
  });

  it('refuses a bad tenant list', () => {
    expect(() => loadConfig({ BOOTSTRAP_TENANTS: 'ok,Bad_Name' })).toThrow(/BOOTSTRAP_TENANTS/);
  });
});

describe('TRUST_PROXY', () => {
  it('believes no proxy by default', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'false' }).trustProxy).toBe(false);
  });

  it('takes a hop count or a list of addresses and CIDRs', () => {
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 127.0.0.1,::1,loopback' }).trustProxy).toEqual([
      '10.0.0.0/8',
      '127.0.0.1',
      '::1',
      'loopback',
    ]);
  });

  it.each(['true', '0', '99', '10.0.0.0/33', 'proxy.example.com', '1.2.3.4/8/1'])(
    'refuses TRUST_PROXY=%s',
    (v) => expect(() => loadConfig({ TRUST_PROXY: v })).toThrow(/TRUST_PROXY/),
  );
});

describe('SHUTDOWN_TIMEOUT_MS', () => {
  it('defaults below the usual 10 s container grace period', () => {
    expect(loadConfig({}).shutdownTimeoutMs).toBeLessThan(8000);
  });
});

describe('DATABASE_PASSWORD', () => {
  it('goes into DATABASE_URL encoded, so any character is safe', () => {
    const password = `p@ss:w/rd?#%'"`;
    const url = loadConfig({
      DATABASE_URL: 'postgres://app@db:5432/mgmt',
      DATABASE_PASSWORD: password,
    }).databaseUrl!;
    const parsed = new URL(url);
    expect(parsed.username).toBe('app');
    expect(decodeURIComponent(parsed.password)).toBe(password);
    expect(parsed.host).toBe('db:5432');
    expect(parsed.pathname).toBe('/mgmt');
  });

  it('leaves DATABASE_URL alone when unset', () => {
    const url = 'postgres://app:secret@db:5432/mgmt';
    expect(loadConfig({ DATABASE_URL: url }).databaseUrl).toBe(url);
  });
});
