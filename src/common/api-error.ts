/**
 * The error every layer throws for an expected failure. The exception filter renders it in
 * the route's format: SCIM (`status`, `scimType`, `detail`) or OAuth (`error`,
 * `error_description`); `code` is the OAuth-style code, `scimType` the SCIM one.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly options: {
      scimType?: string;
      headers?: Record<string, string>;
      /** Protocol states (CIBA authorization_pending) are answered but never recorded. */
      skipAudit?: boolean;
      /**
       * Failures with the same key within a short window are recorded once more at its end,
       * as one record with their count, instead of one record each (a throttled flood).
       */
      coalesceKey?: string;
      /** Milliseconds the answer is held back: a refused flood's tarpit (AUTH_FAILURE_DELAY_MS). */
      holdMs?: number;
    } = {},
  ) {
    super(detail);
    this.name = 'ApiError';
  }
}

export const scimError = (status: number, scimType: string | undefined, detail: string) =>
  new ApiError(status, scimType ?? statusCode(status), detail, { scimType });

export const oauthError = (
  status: number,
  error: string,
  description: string,
  headers?: Record<string, string>,
) => new ApiError(status, error, description, { headers });

/** A short code for statuses that have no better one. */
export function statusCode(status: number): string {
  switch (status) {
    case 400:
      return 'invalid_request';
    case 401:
      return 'invalid_token';
    case 403:
      return 'insufficient_scope';
    case 404:
      return 'not_found';
    case 405:
      return 'method_not_allowed';
    case 409:
      return 'conflict';
    case 412:
      return 'precondition_failed';
    case 413:
      return 'request_too_large';
    case 415:
      return 'unsupported_media_type';
    case 416:
      return 'range_not_satisfiable';
    case 429:
      return 'too_many_requests';
    case 503:
      return 'temporarily_unavailable';
    default:
      return status >= 500 ? 'server_error' : 'invalid_request';
  }
}

/** Thrown when the audit record of a change cannot be written: the change fails with 503. */
export class AuditUnavailableError extends Error {
  constructor(cause: unknown) {
    super('The audit trail is unavailable; the change was not made', { cause });
    this.name = 'AuditUnavailableError';
  }
}
