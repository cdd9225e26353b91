/** The SCIM error types a filter, PATCH path or sortBy can fail with (RFC 7644 §3.12). */
export type ScimFilterErrorType = 'invalidFilter' | 'invalidPath' | 'invalidValue';

/**
 * A client mistake in a filter, PATCH path or sortBy. The HTTP layer maps it to 400 with
 * `scimType`; `position` is a 0-based index into the text the client sent, when one applies.
 */
export class ScimFilterError extends Error {
  constructor(
    message: string,
    readonly position?: number,
    readonly scimType: ScimFilterErrorType = 'invalidFilter',
  ) {
    super(message);
    this.name = 'ScimFilterError';
  }
}

// Two quoted fragments at most per message: about 60 characters of client input.
const MAX_ECHO = 30;

/** Quotes client text for a message; long input is cut so errors never echo a whole payload. */
export function quote(text: string): string {
  const cut = text.length > MAX_ECHO ? `${text.slice(0, MAX_ECHO)}…` : text;
  return JSON.stringify(cut);
}
