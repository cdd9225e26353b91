import { scimError } from '../common/api-error';

/** Whether an `If-Match` header names this version (`*`, weak or strong form; RFC 7232 §3.1). */
export function etagMatches(header: string, version: string): boolean {
  return header
    .split(',')
    .map((t) => t.trim())
    .some((t) => t === '*' || t === version || `W/${t}` === version);
}

/** Refuses a change whose `If-Match` names another version of the resource (412). */
export function checkIfMatch(ifMatch: string | undefined, version: string): void {
  if (ifMatch !== undefined && !etagMatches(ifMatch, version)) {
    throw scimError(
      412,
      undefined,
      'The resource has changed: If-Match does not match meta.version',
    );
  }
}
