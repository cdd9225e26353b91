import { ApiError } from '../common/api-error';
import { parseBackchannelRequest } from './backchannel-request';

const limits = { userNameLength: 256, stringLength: 1024 };
const base = { scope: 'openid', login_hint: 'alice' };

function errorOf(body: Record<string, string | string[]>): string | undefined {
  try {
    parseBackchannelRequest(body, limits);
    return undefined;
  } catch (e) {
    return (e as ApiError).code;
  }
}

describe('parseBackchannelRequest (CIBA Core §7.1)', () => {
  it('reads a full request', () => {
    expect(
      parseBackchannelRequest(
        {
          ...base,
          scope: 'openid profile openid',
          binding_message: 'Pay 42 EUR',
          requested_expiry: '600',
          acr_values: 'mod-mf high',
          client_notification_token: 'abc.DEF-123_~+/==',
          user_code: 'ignored',
        },
        limits,
      ),
    ).toEqual({
      scopes: ['openid', 'profile'],
      hint: { kind: 'login_hint', value: 'alice' },
      bindingMessage: 'Pay 42 EUR',
      requestedExpiry: 600,
      acrValues: ['mod-mf', 'high'],
      clientNotificationToken: 'abc.DEF-123_~+/==',
    });
  });

  it('defaults requested_expiry to 120 seconds', () => {
    expect(parseBackchannelRequest(base, limits).requestedExpiry).toBe(120);
  });

  it.each(['login_hint_token', 'id_token_hint'])('takes %s as the one hint', (kind) => {
    expect(parseBackchannelRequest({ scope: 'openid', [kind]: 'a.b.c' }, limits).hint).toEqual({
      kind,
      value: 'a.b.c',
    });
  });

  it.each([
    [{ login_hint: 'alice' }, 'invalid_request'],
    [{ ...base, scope: '' }, 'invalid_request'],
    [{ ...base, scope: 'profile' }, 'invalid_scope'],
    [{ ...base, scope: ' openid' }, 'invalid_scope'],
    [{ ...base, scope: 'openid "x"' }, 'invalid_scope'],
    [{ scope: 'openid' }, 'invalid_request'],
    [{ ...base, login_hint_token: 'a.b.c' }, 'invalid_request'],
    [{ scope: 'openid', login_hint_token: 'a.b.c', id_token_hint: 'a.b.c' }, 'invalid_request'],
    [{ ...base, login_hint: 'x'.repeat(257) }, 'invalid_request'],
    [{ scope: 'openid', id_token_hint: '' }, 'invalid_request'],
    [{ ...base, login_hint: ['a', 'b'] }, 'invalid_request'],
    [{ ...base, requested_expiry: '0' }, 'invalid_request'],
    [{ ...base, requested_expiry: '601' }, 'invalid_request'],
    [{ ...base, requested_expiry: '-5' }, 'invalid_request'],
    [{ ...base, requested_expiry: '10s' }, 'invalid_request'],
    [{ ...base, requested_expiry: '' }, 'invalid_request'],
    [{ ...base, binding_message: '' }, 'invalid_binding_message'],
    [{ ...base, binding_message: '   ' }, 'invalid_binding_message'],
    [{ ...base, binding_message: 'x'.repeat(101) }, 'invalid_binding_message'],
    [{ ...base, binding_message: 'tab\there' }, 'invalid_binding_message'],
    [{ ...base, binding_message: 'nul\u0000' }, 'invalid_binding_message'],
    [{ ...base, acr_values: 'a  b' }, 'invalid_request'],
    [{ ...base, client_notification_token: 'has space' }, 'invalid_request'],
    [{ ...base, client_notification_token: '' }, 'invalid_request'],
    [{ ...base, request: 'eyJ.eyJ.sig' }, 'invalid_request'],
  ])('refuses %j with %s', (body, error) => {
    expect(errorOf(body as Record<string, string | string[]>)).toBe(error);
  });

  it('accepts a binding message of 100 printable characters, accents included', () => {
    const message = `Bestätigen Sie ${'x'.repeat(85)}`;
    expect(message).toHaveLength(100);
    expect(parseBackchannelRequest({ ...base, binding_message: message }, limits)).toMatchObject({
      bindingMessage: message,
    });
  });
});
