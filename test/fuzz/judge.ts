import { FuzzRequest, FuzzResponse } from './http';

const VALID_CORRELATION_ID = /^[A-Za-z0-9_\-.*~@+/:]{1,64}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SCIM_ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';

/**
 * What no answer may contain whatever the input was: a stack frame, PostgreSQL's or the
 * driver's own words, a secret. (Phrases a hostile input could make us echo, such as
 * "SELECT", are left out on purpose: the input is allowed to come back in a detail.)
 */
const LEAKS = [
  /\n\s+at [\w.<>]+ \(/,
  /syntax error at or near/i,
  /violates (unique|foreign key|check|not-null) constraint/i,
  /duplicate key value/i,
  /invalid input syntax for/i,
  /invalid byte sequence for encoding/i,
  /unsupported Unicode escape sequence/i,
  /QueryFailedError|DatabaseError|TypeORM|node_modules/,
  /Maximum call stack size exceeded/,
  /scrypt:/,
];

/** Control characters that must never appear raw in a log line (pino escapes them). */
// eslint-disable-next-line no-control-regex -- finding them is the point
export const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

export interface Verdict {
  problems: string[];
}

/** The route family the contract gives a path: SCIM under /{t}/v2, OAuth under /{t}/authn. */
export function familyOf(path: string): 'scim' | 'oauth' | 'other' {
  const second = path.split('?', 1)[0].split('/')[2];
  if (second === 'v2') return 'scim';
  if (second === 'authn' || second === '.well-known') return 'oauth';
  return 'other';
}

export function judge(req: FuzzRequest, res: FuzzResponse, secrets: string[]): string[] {
  const problems: string[] = [];
  if (res.status >= 500) problems.push(`answered ${res.status}`);
  if (!UUID.test(res.headers['x-request-id'] ?? '')) problems.push('no X-Request-ID');
  // HTTP drops the spaces and tabs around a header value before anyone judges it.
  const sent = req.headers['X-Correlation-ID']?.replace(/^[ \t]+|[ \t]+$/g, '');
  if (sent !== undefined && VALID_CORRELATION_ID.test(sent)) {
    if (res.headers['x-correlation-id'] !== sent)
      problems.push('valid X-Correlation-ID not echoed');
  } else if (res.headers['x-correlation-id'] !== undefined) {
    problems.push('an invalid or absent X-Correlation-ID was echoed');
  }
  if (res.status >= 400) problems.push(...formatProblems(req.path, res));
  for (const leak of LEAKS) if (leak.test(res.body)) problems.push(`body leaks ${leak.source}`);
  for (const secret of secrets) if (res.body.includes(secret)) problems.push('body holds a secret');
  return problems;
}

function formatProblems(path: string, res: FuzzResponse): string[] {
  const family = familyOf(path);
  if (family === 'other' || res.status === 405) return [];
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(res.body) as Record<string, unknown>;
  } catch {
    return [`${family} error body is not JSON`];
  }
  if (family === 'scim') {
    const ok =
      Array.isArray(body.schemas) &&
      body.schemas[0] === SCIM_ERROR &&
      body.status === String(res.status) &&
      typeof body.detail === 'string';
    return ok ? [] : ['not a SCIM error body'];
  }
  // A 401 from a bearer-protected OAuth route may answer with WWW-Authenticate alone; every
  // body there is still the OAuth shape.
  const ok =
    typeof body.error === 'string' &&
    (body.error_description === undefined || typeof body.error_description === 'string');
  return ok ? [] : ['not an OAuth error body'];
}
