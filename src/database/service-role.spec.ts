import { Logger } from '@nestjs/common';
import { StartupError } from '../common/startup-error';
import { loadConfig } from '../config/app-config';
import { checkServiceRole } from './service-role';

describe('checkServiceRole', () => {
  const production = loadConfig({
    NODE_ENV: 'production',
    BOOTSTRAP_ADMIN_SECRET: 'a'.repeat(16),
    PUBLIC_BASE_URL: 'https://idp.example.com',
    AUDIT_RECORD_KEYS: `k1:${'A'.repeat(43)}=`,
    AUDIT_SEALING_KEY: '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n-----END PRIVATE KEY-----',
  });
  const development = loadConfig({ NODE_ENV: 'development' });
  const service = { name: 'app_service', superuser: false, ownsTrail: false };

  it('accepts a role that owns nothing, anywhere', () => {
    expect(() => checkServiceRole(service, production)).not.toThrow();
  });

  it.each([
    ['a superuser', { superuser: true }, /^DATABASE_URL connects as the superuser app_service: /],
    [
      'the owner',
      { ownsTrail: true },
      /^DATABASE_URL connects as app_service, the owner of the audit trail: /,
    ],
  ])('refuses %s in production with one sentence', (_who, role, message) => {
    const check = () => checkServiceRole({ ...service, ...role }, production);
    expect(check).toThrow(StartupError);
    expect(check).toThrow(message);
    expect(check).toThrow(/MIGRATION_DATABASE_URL/);
  });

  it('only warns elsewhere', () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    expect(() => checkServiceRole({ ...service, ownsTrail: true }, development)).not.toThrow();
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/could rewrite the audit trail/));
    warn.mockRestore();
  });
});
