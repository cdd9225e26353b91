import { ApiError } from '../common/api-error';
import { isClientMember, parseClientMetadata } from './client-metadata';

const CIBA = 'urn:openid:params:grant-type:ciba';
const limits = { stringLength: 1024 };
const parse = (body: unknown) => parseClientMetadata(body, limits);

function refusal(body: unknown): { code: string; detail: string } {
  try {
    parse(body);
  } catch (e) {
    if (e instanceof ApiError) return { code: e.code, detail: e.detail };
    throw e;
  }
  throw new Error('expected a refusal');
}

describe('parseClientMetadata', () => {
  it('applies the RFC 7591 and API defaults', () => {
    expect(parse({})).toEqual({
      clientName: null,
      grantTypes: ['client_credentials'],
      scopes: [],
      tokenEndpointAuthMethod: 'client_secret_basic',
      metadata: {},
    });
  });

  it('keeps what it understands, stores hid_client_* as given and ignores the rest', () => {
    const parsed = parse({
      client_name: 'Payroll sync',
      'client_name#fr': 'Synchro paie',
      scope: 'users:read  openid users:read',
      contacts: ['ops@example.com'],
      redirect_uris: ['https://app.example.com/cb'],
      client_uri: 'https://app.example.com',
      software_id: 'payroll',
      hid_client_group: 'UG_CLIENTID',
      hid_client_settings: { a: [1, 2] },
      made_up_member: 'ignored',
      registration_access_token: 'ignored too',
    });
    expect(parsed.clientName).toBe('Payroll sync');
    expect(parsed.scopes).toEqual(['users:read', 'openid']);
    expect(parsed.metadata).toEqual({
      'client_name#fr': 'Synchro paie',
      contacts: ['ops@example.com'],
      redirect_uris: ['https://app.example.com/cb'],
      client_uri: 'https://app.example.com',
      software_id: 'payroll',
      hid_client_group: 'UG_CLIENTID',
      hid_client_settings: { a: [1, 2] },
    });
  });

  it.each([
    ['a JSON string', '["users:read","openid"]'],
    ['an array', ['users:read', 'openid']],
    ["HID's sample form, an object in a string", '{"scopes":["users:read","openid"]}'],
    ['an object with scopes', { scopes: ['users:read', 'openid'] }],
  ])("reads HID's hid_client_scopes as %s", (_kind, value) => {
    const parsed = parse({ hid_client_scopes: value });
    expect(parsed.scopes).toEqual(['users:read', 'openid']);
    expect(parsed.metadata.hid_client_scopes).toEqual(value);
  });

  it.each([
    'https://client.example.org',
    'http://localhost:8080/cb',
    'http://127.0.0.1/cb',
    'http://[::1]:4000/cb',
    'com.example.app:/oauth2redirect',
  ])('accepts the redirect URI %s', (uri) => {
    expect(parse({ redirect_uris: [uri] }).metadata.redirect_uris).toEqual([uri]);
  });

  it('accepts scope and hid_client_scopes together when they agree', () => {
    expect(
      parse({ scope: 'openid users:read', hid_client_scopes: '["users:read","openid"]' }).scopes,
    ).toEqual(['openid', 'users:read']);
  });

  it('defaults a CIBA client to poll mode and keeps a ping endpoint', () => {
    expect(parse({ grant_types: [CIBA] }).metadata).toEqual({
      backchannel_token_delivery_mode: 'poll',
    });
    expect(
      parse({
        grant_types: ['client_credentials', CIBA],
        backchannel_token_delivery_mode: 'ping',
        backchannel_client_notification_endpoint: 'https://rp.example.com/ciba',
      }).metadata,
    ).toEqual({
      backchannel_token_delivery_mode: 'ping',
      backchannel_client_notification_endpoint: 'https://rp.example.com/ciba',
    });
  });

  it('allows an http notification endpoint on the loopback only', () => {
    const body = (url: string) => ({
      grant_types: [CIBA],
      backchannel_token_delivery_mode: 'push',
      backchannel_client_notification_endpoint: url,
    });
    expect(parse(body('http://127.0.0.1:8080/cb')).metadata).toMatchObject({
      backchannel_client_notification_endpoint: 'http://127.0.0.1:8080/cb',
    });
    expect(refusal(body('http://rp.example.com/cb')).detail).toMatch(/must be an https URL/);
  });

  it.each<[string, unknown, string, RegExp]>([
    ['a non-object body', [], 'invalid_client_metadata', /must be a JSON object/],
    [
      'an unsupported grant',
      { grant_types: ['authorization_code'] },
      'invalid_client_metadata',
      /"authorization_code" is not supported/,
    ],
    [
      'grant_types as a string',
      { grant_types: 'client_credentials' },
      'invalid_client_metadata',
      /grant_types must be an array/,
    ],
    ['no grant type', { grant_types: [] }, 'invalid_client_metadata', /at least one grant type/],
    [
      'an unknown scope',
      { scope: 'users:read users:admin' },
      'invalid_client_metadata',
      /"users:admin" is not a scope of this server/,
    ],
    [
      'a malformed scope',
      { scope: 'users:read "x"' },
      'invalid_client_metadata',
      /malformed scope token/,
    ],
    [
      'scope that is not a string',
      { scope: ['users:read'] },
      'invalid_client_metadata',
      /scope must be a string/,
    ],
    [
      'hid_client_scopes that is not JSON',
      { hid_client_scopes: 'users:read' },
      'invalid_client_metadata',
      /hid_client_scopes must be a JSON array/,
    ],
    [
      'hid_client_scopes as an object with other members',
      { hid_client_scopes: '{"scopes":["openid"],"extra":1}' },
      'invalid_client_metadata',
      /\{"scopes":\[\.\.\.\]\}/,
    ],
    [
      'hid_client_scopes whose scopes are not strings',
      { hid_client_scopes: { scopes: [1] } },
      'invalid_client_metadata',
      /hid_client_scopes must be a JSON array/,
    ],
    [
      'a javascript: redirect URI',
      { redirect_uris: ['javascript:alert(1)'] },
      'invalid_redirect_uri',
      /redirect_uris\[0\] must not use the javascript: scheme/,
    ],
    [
      'a data: redirect URI',
      { redirect_uris: ['data:text/html,<b>x</b>'] },
      'invalid_redirect_uri',
      /must not use the data: scheme/,
    ],
    [
      'an http redirect URI to a remote host',
      { redirect_uris: ['http://app.example.com/cb'] },
      'invalid_redirect_uri',
      /must use https \(http is allowed only for a loopback host/,
    ],
    [
      'a private-use scheme that is not reverse-domain',
      { redirect_uris: ['myapp:/cb'] },
      'invalid_redirect_uri',
      /reverse-domain private-use scheme/,
    ],
    [
      'scope and hid_client_scopes that differ',
      { scope: 'users:read', hid_client_scopes: ['audit:read'] },
      'invalid_client_metadata',
      /name different scopes/,
    ],
    [
      'an unsupported auth method',
      { token_endpoint_auth_method: 'private_key_jwt' },
      'invalid_client_metadata',
      /"private_key_jwt" is not supported/,
    ],
    [
      'a redirect URI that is not absolute',
      { redirect_uris: ['/cb'] },
      'invalid_redirect_uri',
      /redirect_uris\[0\] is not an absolute URI/,
    ],
    [
      'a redirect URI with a fragment',
      { redirect_uris: ['https://a.example/cb', 'https://a.example/cb#x'] },
      'invalid_redirect_uri',
      /redirect_uris\[1\] must not contain a fragment/,
    ],
    [
      'redirect_uris that is not an array',
      { redirect_uris: 'https://a.example/cb' },
      'invalid_redirect_uri',
      /must be an array/,
    ],
    [
      'ping mode without an endpoint',
      { grant_types: [CIBA], backchannel_token_delivery_mode: 'ping' },
      'invalid_client_metadata',
      /backchannel_client_notification_endpoint is required in ping mode/,
    ],
    [
      'an unknown delivery mode',
      { grant_types: [CIBA], backchannel_token_delivery_mode: 'mail' },
      'invalid_client_metadata',
      /"mail" is not supported/,
    ],
    [
      'CIBA members without the CIBA grant',
      { backchannel_token_delivery_mode: 'poll' },
      'invalid_client_metadata',
      /needs the grant type urn:openid:params:grant-type:ciba/,
    ],
    [
      'user codes',
      { grant_types: [CIBA], backchannel_user_code_parameter: true },
      'invalid_client_metadata',
      /backchannel_user_code_parameter is not supported/,
    ],
    [
      'a client_name too long',
      { client_name: 'x'.repeat(1025) },
      'invalid_client_metadata',
      /client_name is longer than 1024 characters/,
    ],
    [
      'an empty client_name',
      { client_name: ' ' },
      'invalid_client_metadata',
      /client_name must not be empty/,
    ],
    [
      'contacts that are not strings',
      { contacts: [42] },
      'invalid_client_metadata',
      /contacts\[0\] must be a string/,
    ],
    [
      'a client_uri that is not a URL',
      { client_uri: 'example' },
      'invalid_client_metadata',
      /client_uri must be an absolute URL/,
    ],
    [
      'response types',
      { response_types: ['code'] },
      'invalid_client_metadata',
      /response_types must be empty/,
    ],
    [
      'a jwks_uri',
      { jwks_uri: 'https://a.example/jwks' },
      'invalid_client_metadata',
      /private_key_jwt/,
    ],
    [
      'a software statement',
      { software_statement: 'eyJ...' },
      'unapproved_software_statement',
      /not accepted/,
    ],
    [
      'a huge extension',
      { hid_client_blob: 'x'.repeat(9000) },
      'invalid_client_metadata',
      /hid_client_blob is larger than 8192/,
    ],
  ])('refuses %s', (_what, body, code, detail) => {
    const error = refusal(body);
    expect(error.code).toBe(code);
    expect(error.detail).toMatch(detail);
  });
});

describe('isClientMember', () => {
  it.each([
    'redirect_uris',
    'contacts',
    'client_uri',
    'client_name#de',
    'hid_client_group',
    'backchannel_token_delivery_mode',
  ])('shows %s', (key) => expect(isClientMember(key)).toBe(true));

  it.each(['bootstrap', 'secret_digest', 'made_up'])('hides %s', (key) => {
    expect(isClientMember(key)).toBe(false);
  });
});
