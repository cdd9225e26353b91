import { FormBody, single } from '../auth/client-authenticator.service';
import { oauthError } from '../common/api-error';
import { HintKind } from './ciba-request-row';

export const DEFAULT_EXPIRY_SECONDS = 120;
export const MAX_EXPIRY_SECONDS = 600;
export const MAX_BINDING_MESSAGE_LENGTH = 100;
const MAX_TOKEN_LENGTH = 8192;
const SCOPE_SYNTAX = /^[\x21\x23-\x5B\x5D-\x7E]+( [\x21\x23-\x5B\x5D-\x7E]+)*$/;
/** RFC 6750 §2.1 b64token: what may follow "Bearer " in the notification call. */
const BEARER_SYNTAX = /^[A-Za-z0-9\-._~+/]+=*$/;
const CONTROL = /\p{Cc}/u;

export interface BackchannelParams {
  scopes: string[];
  hint: { kind: HintKind; value: string };
  bindingMessage?: string;
  requestedExpiry: number;
  acrValues?: string[];
  clientNotificationToken?: string;
}

/**
 * The parameter rules of CIBA Core §7.1 that need nothing but the request itself; the
 * errors are those of §13. What depends on the client or the user is checked later.
 */
export function parseBackchannelRequest(
  body: FormBody,
  limits: { userNameLength: number; stringLength: number },
): BackchannelParams {
  if (single(body, 'request') !== undefined) {
    throw invalidRequest('Signed authentication requests (request) are not supported');
  }
  const scope = single(body, 'scope');
  if (scope === undefined || scope === '') throw invalidRequest('scope is required');
  if (!SCOPE_SYNTAX.test(scope) || scope.length > limits.stringLength) {
    throw oauthError(400, 'invalid_scope', 'The scope parameter is malformed');
  }
  const scopes = [...new Set(scope.split(' '))];
  if (!scopes.includes('openid')) {
    throw oauthError(400, 'invalid_scope', 'The scope must contain openid');
  }

  const hints = (['login_hint', 'login_hint_token', 'id_token_hint'] as const)
    .map((kind) => ({ kind, value: single(body, kind) }))
    .filter((h): h is { kind: HintKind; value: string } => h.value !== undefined);
  if (hints.length !== 1) {
    throw invalidRequest(
      'Exactly one of login_hint, login_hint_token and id_token_hint is required',
    );
  }
  const [hint] = hints;
  const maxHint = hint.kind === 'login_hint' ? limits.userNameLength : MAX_TOKEN_LENGTH;
  if (hint.value === '' || hint.value.length > maxHint) {
    throw invalidRequest(`${hint.kind} is empty or too long`);
  }

  const bindingMessage = single(body, 'binding_message');
  if (
    bindingMessage !== undefined &&
    (bindingMessage.trim() === '' ||
      bindingMessage.length > MAX_BINDING_MESSAGE_LENGTH ||
      CONTROL.test(bindingMessage))
  ) {
    throw oauthError(
      400,
      'invalid_binding_message',
      `binding_message must be 1 to ${MAX_BINDING_MESSAGE_LENGTH} printable characters`,
    );
  }

  const expiry = single(body, 'requested_expiry');
  let requestedExpiry = DEFAULT_EXPIRY_SECONDS;
  if (expiry !== undefined) {
    requestedExpiry = /^\d{1,6}$/.test(expiry) ? Number(expiry) : NaN;
    if (!(requestedExpiry >= 1 && requestedExpiry <= MAX_EXPIRY_SECONDS)) {
      throw invalidRequest(`requested_expiry must be an integer from 1 to ${MAX_EXPIRY_SECONDS}`);
    }
  }

  const acr = single(body, 'acr_values');
  if (acr !== undefined && (!SCOPE_SYNTAX.test(acr) || acr.length > limits.stringLength)) {
    throw invalidRequest('acr_values must be a space-separated list of values');
  }

  const notificationToken = single(body, 'client_notification_token');
  if (
    notificationToken !== undefined &&
    (!BEARER_SYNTAX.test(notificationToken) || notificationToken.length > limits.stringLength)
  ) {
    throw invalidRequest('client_notification_token must be a bearer token (RFC 6750 §2.1)');
  }

  return {
    scopes,
    hint,
    ...(bindingMessage !== undefined ? { bindingMessage } : {}),
    requestedExpiry,
    ...(acr !== undefined ? { acrValues: acr.split(' ') } : {}),
    ...(notificationToken !== undefined ? { clientNotificationToken: notificationToken } : {}),
  };
}

function invalidRequest(description: string) {
  return oauthError(400, 'invalid_request', description);
}
