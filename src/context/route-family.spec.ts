import { isTenantName, parseTenantPath } from './route-family';

describe('parseTenantPath', () => {
  it.each([
    ['/acme/v2/Users', { tenant: 'acme', family: 'scim' }],
    ['/acme/v2', { tenant: 'acme', family: 'scim' }],
    ['/acme/v2?filter=x', { tenant: 'acme', family: 'scim' }],
    ['/acme/v2/Users/1?attributes=a/b', { tenant: 'acme', family: 'scim' }],
    ['/acme/authn/token', { tenant: 'acme', family: 'oauth' }],
    ['/acme/.well-known/openid-configuration', { tenant: 'acme', family: 'oauth' }],
    ['/health/live', { family: 'other' }],
    ['/acme', { family: 'other' }],
    ['/', { family: 'other' }],
    ['', { family: 'other' }],
    ['/acme/v22/Users', { family: 'other' }],
    ['/?x=/a/v2', { family: 'other' }],
    ['//v2/Users', { tenant: '', family: 'scim' }],
    ['/ac%6De/v2/Users', { tenant: 'acme', family: 'scim' }],
    ['/%E0%A4%A/authn/token', { tenant: undefined, family: 'oauth' }],
  ])('%s', (url, expected) => {
    expect(parseTenantPath(url)).toEqual(expected);
  });
});

describe('isTenantName', () => {
  it('takes lower-case names and refuses reserved ones', () => {
    expect(isTenantName('acme-1')).toBe(true);
    expect(isTenantName('Acme')).toBe(false);
    expect(isTenantName('health')).toBe(false);
    expect(isTenantName(undefined)).toBe(false);
  });
});
