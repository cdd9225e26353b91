/** Keys whose values must never reach a log line or an audit record. */
const SECRET_KEYS = /secret|password|token|authorization|assertion|credential|private/i;

/**
 * Registration metadata (RFC 7591, OIDC, CIBA) whose names contain "token" but whose values
 * are settings, not secrets: shown in `changes` like any other attribute.
 */
const TOKEN_SETTINGS = new Set([
  'token_endpoint_auth_method',
  'token_endpoint_auth_signing_alg',
  'backchannel_token_delivery_mode',
  'id_token_signed_response_alg',
  'id_token_encrypted_response_alg',
  'id_token_encrypted_response_enc',
]);

/** Whether a key names a secret: its value is never shown, only that it changed. */
export function isSecretKey(key: string): boolean {
  return SECRET_KEYS.test(key) && !TOKEN_SETTINGS.has(key);
}

/** A yes/no flag (`passwordChanged: "true"`) says that something changed, never what to. */
const FLAG = /^(true|false)$/;

/** Parameters may be shown to auditors: anything that looks like a secret is masked. */
export function redactParameters(parameters: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(parameters)) {
    out[key] = SECRET_KEYS.test(key) && !FLAG.test(value) ? '[REDACTED]' : value;
  }
  return out;
}

/** pino redact paths: request headers and body fields that carry credentials. */
export const LOG_REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  '*.client_secret',
  '*.password',
  '*.access_token',
  '*.id_token',
  '*.refresh_token',
  '*.registration_access_token',
  '*.client_notification_token',
];
