import { isSecretKey, redactParameters } from './redaction';

describe('redactParameters', () => {
  it.each([
    'client_secret',
    'password',
    'newPassword',
    'access_token',
    'Authorization',
    'privateKey',
  ])('masks the value of %s', (key) => {
    expect(redactParameters({ [key]: 'hunter2' })).toEqual({ [key]: '[REDACTED]' });
  });

  it('keeps ordinary parameters', () => {
    const parameters = { Action: 'createUser', COI: '13U8F2URK9GC8Q9FQELR', scope: 'users:read' };
    expect(redactParameters(parameters)).toEqual(parameters);
  });

  it('keeps yes/no flags about a secret, which cannot carry one', () => {
    expect(redactParameters({ passwordChanged: 'true', secretRotated: 'false' })).toEqual({
      passwordChanged: 'true',
      secretRotated: 'false',
    });
    expect(redactParameters({ passwordChanged: 'True!' })).toEqual({
      passwordChanged: '[REDACTED]',
    });
  });
});

describe('isSecretKey', () => {
  it.each(['password', 'client_secret', 'registration_access_token', 'refreshToken'])(
    'hides %s',
    (key) => expect(isSecretKey(key)).toBe(true),
  );

  it.each(['token_endpoint_auth_method', 'backchannel_token_delivery_mode', 'displayName'])(
    'shows %s, a setting',
    (key) => expect(isSecretKey(key)).toBe(false),
  );
});
