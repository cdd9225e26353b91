import {
  GRANT_CIBA,
  GRANT_CLIENT_CREDENTIALS,
  MANAGEMENT_SCOPES,
  OIDC_SCOPES,
} from '../common/scopes';
import { oauthError } from '../common/api-error';

export const SUPPORTED_GRANT_TYPES: readonly string[] = [GRANT_CLIENT_CREDENTIALS, GRANT_CIBA];
export const SUPPORTED_AUTH_METHODS: readonly string[] = [
  'client_secret_basic',
  'client_secret_post',
];
export const DELIVERY_MODES: readonly string[] = ['poll', 'ping', 'push'];
const KNOWN_SCOPES: ReadonlySet<string> = new Set([...MANAGEMENT_SCOPES, ...OIDC_SCOPES]);

/** RFC 7591 §2 members kept as given: human-readable strings and informational URIs. */
const STRING_MEMBERS = ['software_id', 'software_version'];
const URI_MEMBERS = ['client_uri', 'logo_uri', 'tos_uri', 'policy_uri'];
/** RFC 7591 §2.2: human-readable members may carry a language tag (`client_name#fr`). */
const TAGGED = /^(client_name|client_uri|logo_uri|tos_uri|policy_uri)#[A-Za-z0-9-]{1,35}$/;
const HID_EXTENSION = /^hid_client_[A-Za-z0-9_]{1,64}$/;
const CIBA_MEMBERS = [
  'backchannel_token_delivery_mode',
  'backchannel_client_notification_endpoint',
];
const MAX_ARRAY_ITEMS = 100;
const MAX_EXTENSIONS = 50;
const MAX_EXTENSION_JSON = 8192;
/** RFC 6749 §3.3 scope-token characters. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/** What a registration or update request asks for, validated and normalised. */
export interface ClientMetadata {
  clientName: string | null;
  grantTypes: string[];
  scopes: string[];
  tokenEndpointAuthMethod: string;
  /** Everything else stored and returned: redirect_uris, contacts, CIBA members, hid_client_*. */
  metadata: Record<string, unknown>;
}

export interface MetadataLimits {
  stringLength: number;
}

const invalid = (description: string) => oauthError(400, 'invalid_client_metadata', description);
const invalidRedirect = (description: string) =>
  oauthError(400, 'invalid_redirect_uri', description);

/** Whether a stored metadata key is client metadata (shown in the client information). */
export function isClientMember(key: string): boolean {
  return (
    key === 'redirect_uris' ||
    key === 'contacts' ||
    STRING_MEMBERS.includes(key) ||
    URI_MEMBERS.includes(key) ||
    CIBA_MEMBERS.includes(key) ||
    TAGGED.test(key) ||
    HID_EXTENSION.test(key)
  );
}

/**
 * Validates RFC 7591 client metadata (the body of a registration or an RFC 7592 update).
 * Members this server does not understand are ignored (RFC 7591 §2); members it
 * understands but does not support are refused with a description naming the member.
 * `client_id`/`client_secret` and the server-issued members are the caller's concern.
 */
export function parseClientMetadata(body: unknown, limits: MetadataLimits): ClientMetadata {
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw invalid('The request body must be a JSON object of client metadata');
  }
  const input = body as Record<string, unknown>;
  const text = (name: string, value: unknown) => readString(name, value, limits);
  const metadata: Record<string, unknown> = {};

  refuseUnsupported(input);

  const grantTypes =
    input.grant_types === undefined
      ? [GRANT_CLIENT_CREDENTIALS]
      : readStringArray('grant_types', input.grant_types, limits);
  if (grantTypes.length === 0) throw invalid('grant_types must list at least one grant type');
  for (const grant of grantTypes) {
    if (!SUPPORTED_GRANT_TYPES.includes(grant)) {
      throw invalid(
        `grant_types: "${grant.slice(0, 100)}" is not supported; supported grant types are ${SUPPORTED_GRANT_TYPES.join(', ')}`,
      );
    }
  }

  const method =
    input.token_endpoint_auth_method === undefined
      ? 'client_secret_basic'
      : text('token_endpoint_auth_method', input.token_endpoint_auth_method);
  if (!SUPPORTED_AUTH_METHODS.includes(method)) {
    throw invalid(
      `token_endpoint_auth_method: "${method.slice(0, 100)}" is not supported; use ${SUPPORTED_AUTH_METHODS.join(' or ')}`,
    );
  }

  const scopes = readScopes(input, limits);
  if (input.hid_client_scopes !== undefined) metadata.hid_client_scopes = input.hid_client_scopes;

  const clientName =
    input.client_name === undefined || input.client_name === null
      ? null
      : text('client_name', input.client_name);

  if (input.redirect_uris !== undefined) {
    metadata.redirect_uris = readRedirectUris(input.redirect_uris, limits);
  }
  if (input.contacts !== undefined) {
    metadata.contacts = readStringArray('contacts', input.contacts, limits);
  }
  for (const name of STRING_MEMBERS) {
    if (input[name] !== undefined) metadata[name] = text(name, input[name]);
  }
  for (const [name, value] of Object.entries(input)) {
    if (value === undefined) continue;
    if (URI_MEMBERS.includes(name) || (TAGGED.test(name) && !name.startsWith('client_name#'))) {
      metadata[name] = readUrl(name, value, limits, ['http:', 'https:']);
    } else if (name.startsWith('client_name#')) {
      metadata[name] = text(name, value);
    }
  }

  Object.assign(metadata, readCiba(input, grantTypes, limits));
  Object.assign(metadata, readExtensions(input));

  return { clientName, grantTypes, scopes, tokenEndpointAuthMethod: method, metadata };
}

function refuseUnsupported(input: Record<string, unknown>): void {
  if (input.software_statement !== undefined) {
    throw oauthError(
      400,
      'unapproved_software_statement',
      'Software statements are not accepted by this server',
    );
  }
  for (const name of ['jwks', 'jwks_uri']) {
    if (input[name] !== undefined) {
      throw invalid(`${name} is used only by private_key_jwt, which this server does not support`);
    }
  }
  const responseTypes = input.response_types;
  if (
    responseTypes !== undefined &&
    !(Array.isArray(responseTypes) && responseTypes.length === 0)
  ) {
    throw invalid(
      'response_types must be empty: this server has no authorization endpoint, clients get tokens at the token endpoint only',
    );
  }
}

/**
 * `scope` (RFC 7591, space-separated) and HID's `hid_client_scopes`. Both may be sent, but
 * then they must name the same scopes.
 */
function readScopes(input: Record<string, unknown>, limits: MetadataLimits): string[] {
  let fromScope: string[] | undefined;
  if (input.scope !== undefined && input.scope !== null) {
    const value = readString('scope', input.scope, limits, true);
    fromScope = value.trim() === '' ? [] : value.trim().split(/ +/);
  }
  const fromHid =
    input.hid_client_scopes === undefined ? undefined : readHidScopes(input.hid_client_scopes);
  const scopes = [...new Set(fromScope ?? fromHid ?? [])];
  if (fromScope && fromHid) {
    const other = new Set(fromHid);
    if (other.size !== scopes.length || scopes.some((s) => !other.has(s))) {
      throw invalid('scope and hid_client_scopes name different scopes; send one of them');
    }
  }
  for (const scope of scopes) {
    if (!SCOPE_TOKEN.test(scope)) throw invalid('scope contains a malformed scope token');
    if (!KNOWN_SCOPES.has(scope)) {
      throw invalid(
        `scope: "${scope.slice(0, 100)}" is not a scope of this server; known scopes are ${[...KNOWN_SCOPES].join(' ')}`,
      );
    }
  }
  return scopes;
}

const HID_SCOPES_FORM =
  'hid_client_scopes must be a JSON array of scope names or {"scopes":[...]}, or a string holding one';

/**
 * HID's own registration sample sends `"{\"scopes\":[\"openid\",\"profile\"]}"`: an object
 * with a `scopes` array, inside a string. A bare array (in a string or not) is accepted too.
 */
function readHidScopes(raw: unknown): string[] {
  let value = raw;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      throw invalid(HID_SCOPES_FORM);
    }
  }
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const keys = Object.keys(value);
    if (keys.length !== 1 || keys[0] !== 'scopes') throw invalid(HID_SCOPES_FORM);
    value = (value as { scopes: unknown }).scopes;
  }
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    throw invalid(HID_SCOPES_FORM);
  }
  return value as string[];
}

function readCiba(
  input: Record<string, unknown>,
  grantTypes: string[],
  limits: MetadataLimits,
): Record<string, unknown> {
  const ciba = grantTypes.includes(GRANT_CIBA);
  if (!ciba) {
    const stray = CIBA_MEMBERS.find((m) => input[m] !== undefined && input[m] !== null);
    if (stray) throw invalid(`${stray} needs the grant type ${GRANT_CIBA} in grant_types`);
    return {};
  }
  if (input.backchannel_user_code_parameter === true) {
    throw invalid('backchannel_user_code_parameter is not supported by this server');
  }
  if (input.backchannel_authentication_request_signing_alg !== undefined) {
    throw invalid('Signed authentication requests are not supported by this server');
  }
  const mode =
    input.backchannel_token_delivery_mode === undefined ||
    input.backchannel_token_delivery_mode === null
      ? 'poll'
      : readString(
          'backchannel_token_delivery_mode',
          input.backchannel_token_delivery_mode,
          limits,
        );
  if (!DELIVERY_MODES.includes(mode)) {
    throw invalid(
      `backchannel_token_delivery_mode: "${mode.slice(0, 100)}" is not supported; use ${DELIVERY_MODES.join(', ')}`,
    );
  }
  const out: Record<string, unknown> = { backchannel_token_delivery_mode: mode };
  const endpoint = input.backchannel_client_notification_endpoint;
  if (endpoint !== undefined && endpoint !== null) {
    const url = readUrl('backchannel_client_notification_endpoint', endpoint, limits, [
      'https:',
      'http:',
    ]);
    if (!url.startsWith('https:') && !isLoopback(url)) {
      throw invalid(
        'backchannel_client_notification_endpoint must be an https URL (http only for localhost)',
      );
    }
    out.backchannel_client_notification_endpoint = url;
  } else if (mode !== 'poll') {
    throw invalid(`backchannel_client_notification_endpoint is required in ${mode} mode`);
  }
  return out;
}

/** HID's `hid_client_*` members are stored as given (bounded in number and size). */
function readExtensions(input: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const names = Object.keys(input).filter(
    (k) => k !== 'hid_client_scopes' && k.startsWith('hid_client_') && input[k] !== undefined,
  );
  if (names.length > MAX_EXTENSIONS) {
    throw invalid(`At most ${MAX_EXTENSIONS} hid_client_* members are accepted`);
  }
  for (const name of names) {
    if (!HID_EXTENSION.test(name))
      throw invalid(`${name.slice(0, 100)} is not a valid member name`);
    if (JSON.stringify(input[name]).length > MAX_EXTENSION_JSON) {
      throw invalid(`${name} is larger than ${MAX_EXTENSION_JSON} characters of JSON`);
    }
    out[name] = input[name];
  }
  return out;
}

function readRedirectUris(value: unknown, limits: MetadataLimits): string[] {
  if (!Array.isArray(value)) throw invalidRedirect('redirect_uris must be an array of URIs');
  if (value.length > MAX_ARRAY_ITEMS) {
    throw invalidRedirect(`redirect_uris may list at most ${MAX_ARRAY_ITEMS} URIs`);
  }
  return value.map((uri, i) => {
    if (typeof uri !== 'string' || uri.length === 0) {
      throw invalidRedirect(`redirect_uris[${i}] must be a non-empty string`);
    }
    if (uri.length > limits.stringLength) {
      throw invalidRedirect(`redirect_uris[${i}] is longer than ${limits.stringLength} characters`);
    }
    let url: URL;
    try {
      url = new URL(uri);
    } catch {
      throw invalidRedirect(`redirect_uris[${i}] is not an absolute URI`);
    }
    // RFC 6749 §3.1.2: absolute, without a fragment.
    if (uri.includes('#') || url.hash !== '') {
      throw invalidRedirect(`redirect_uris[${i}] must not contain a fragment`);
    }
    const refusal = redirectSchemeRefusal(url);
    if (refusal) throw invalidRedirect(`redirect_uris[${i}] ${refusal}`);
    return uri;
  });
}

/** Schemes that run or embed content where a redirect lands; never a redirect target. */
const ACTIVE_SCHEMES = new Set(['javascript:', 'data:', 'vbscript:', 'file:', 'blob:', 'about:']);

/**
 * RFC 7591 §2 and RFC 8252 §7: https; http only to a loopback host; or a native app's
 * private-use scheme in reverse-domain form (`com.example.app:/cb`). Why anything is refused
 * is said in the error, so a registration script can be fixed from its log.
 */
function redirectSchemeRefusal(url: URL): string | undefined {
  if (url.protocol === 'https:') return url.hostname === '' ? 'must name a host' : undefined;
  if (url.protocol === 'http:') {
    return isLoopbackHost(url.hostname)
      ? undefined
      : 'must use https (http is allowed only for a loopback host: localhost, 127.0.0.1, [::1])';
  }
  if (ACTIVE_SCHEMES.has(url.protocol)) {
    return `must not use the ${url.protocol} scheme`;
  }
  if (!url.protocol.slice(0, -1).includes('.')) {
    return 'must use https, http to a loopback host, or a reverse-domain private-use scheme (com.example.app:)';
  }
  return undefined;
}

function readString(
  name: string,
  value: unknown,
  limits: MetadataLimits,
  allowEmpty = false,
): string {
  if (typeof value !== 'string') throw invalid(`${name} must be a string`);
  if (!allowEmpty && value.trim() === '') throw invalid(`${name} must not be empty`);
  if (value.length > limits.stringLength) {
    throw invalid(`${name} is longer than ${limits.stringLength} characters`);
  }
  return value;
}

function readStringArray(name: string, value: unknown, limits: MetadataLimits): string[] {
  if (!Array.isArray(value)) throw invalid(`${name} must be an array of strings`);
  if (value.length > MAX_ARRAY_ITEMS) {
    throw invalid(`${name} may list at most ${MAX_ARRAY_ITEMS} values`);
  }
  const out = value.map((v, i) => readString(`${name}[${i}]`, v, limits));
  return [...new Set(out)];
}

function readUrl(
  name: string,
  value: unknown,
  limits: MetadataLimits,
  protocols: string[],
): string {
  const text = readString(name, value, limits);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalid(`${name} must be an absolute URL`);
  }
  if (!protocols.includes(url.protocol)) {
    throw invalid(`${name} must use ${protocols.join(' or ')}`);
  }
  return text;
}

function isLoopback(url: string): boolean {
  return isLoopbackHost(new URL(url).hostname);
}

function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || /^127(\.\d{1,3}){3}$/.test(host) || host === '[::1]';
}
