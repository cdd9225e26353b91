/** The correlation id rules of the contract (§2), kept pure so unit specs can pin them down. */
const ALLOWED = /^[A-Za-z0-9_\-.*~@+/:]+$/;

export type CorrelationHeader =
  { kind: 'absent' } | { kind: 'valid'; value: string } | { kind: 'invalid'; reason: string };

/**
 * Reads the raw header value as Node hands it over. A repeated header arrives joined with
 * ", " (or as an array), which the allowed character set rejects: two ids are never one.
 */
export function parseCorrelationHeader(
  raw: string | string[] | undefined,
  maxLength: number,
): CorrelationHeader {
  if (raw === undefined) return { kind: 'absent' };
  if (Array.isArray(raw)) return { kind: 'invalid', reason: 'X-Correlation-ID must be sent once' };
  if (raw.length === 0) return { kind: 'invalid', reason: 'X-Correlation-ID must not be empty' };
  if (raw.length > maxLength) {
    return { kind: 'invalid', reason: `X-Correlation-ID must be at most ${maxLength} characters` };
  }
  if (!ALLOWED.test(raw)) {
    return {
      kind: 'invalid',
      reason: 'X-Correlation-ID may contain only A-Z a-z 0-9 and _ - . * ~ @ + / :',
    };
  }
  return { kind: 'valid', value: raw };
}
