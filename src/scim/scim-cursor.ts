import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { scimError } from '../common/api-error';

/** How long a cursor stays valid (ServiceProviderConfig `pagination.cursorTimeout`). */
export const CURSOR_TIMEOUT_SECONDS = 86_400;

/** Cursors longer than this are refused before any work (a sort key can be long text). */
export const MAX_CURSOR_LENGTH = 4096;

/** Where a page ended: the last row's sort key (as text; null for a NULL key) and id. */
export interface CursorPosition {
  key: string | null;
  id: string;
}

/** What a cursor is bound to: it works only for the same tenant, resource and query. */
export interface CursorBinding {
  tenant: string;
  resource: string;
  filter?: string;
  sortBy?: string;
  sortOrder: string;
}

interface Payload {
  /** Fingerprint of the query (resource, filter, sort). */
  q: string;
  k: string | null;
  i: string;
  /** Expiry, epoch seconds. */
  e: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * RFC 9865 cursors: opaque to clients, but simply a keyset position, HMAC-signed so that a
 * client can neither forge one nor carry one to another tenant or another query. Nothing is
 * kept on the server, so a cursor costs nothing until it is used and any instance accepts it.
 */
export function sealCursor(
  secret: Buffer,
  binding: CursorBinding,
  position: CursorPosition,
  nowSeconds: number,
): string {
  const payload: Payload = {
    q: fingerprint(binding),
    k: position.key,
    i: position.id,
    e: nowSeconds + CURSOR_TIMEOUT_SECONDS,
  };
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  return `${body}.${mac(secret, binding.tenant, body)}`;
}

/** Verifies and decodes a cursor, or throws 400 `invalidCursor` / `expiredCursor`. */
export function openCursor(
  secret: Buffer,
  binding: CursorBinding,
  cursor: string,
  nowSeconds: number,
): CursorPosition {
  const invalid = (why: string) => scimError(400, 'invalidCursor', `The cursor is invalid: ${why}`);
  if (cursor.length > MAX_CURSOR_LENGTH) throw invalid('it is too long');
  const dot = cursor.indexOf('.');
  if (dot <= 0) throw invalid('it is not one this service issued');
  const body = cursor.slice(0, dot);
  const expected = Buffer.from(mac(secret, binding.tenant, body));
  const given = Buffer.from(cursor.slice(dot + 1));
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw invalid('it is not one this service issued for this tenant');
  }
  let payload: Payload;
  try {
    payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Payload;
  } catch {
    throw invalid('it cannot be read');
  }
  if (
    typeof payload.q !== 'string' ||
    typeof payload.i !== 'string' ||
    !UUID.test(payload.i) ||
    !(payload.k === null || typeof payload.k === 'string') ||
    typeof payload.e !== 'number'
  ) {
    throw invalid('it cannot be read');
  }
  if (payload.q !== fingerprint(binding)) {
    throw invalid('it belongs to another query (filter, sortBy and sortOrder must not change)');
  }
  if (payload.e <= nowSeconds) {
    throw scimError(
      400,
      'expiredCursor',
      `The cursor has expired (cursors are valid for ${CURSOR_TIMEOUT_SECONDS} seconds); start again with an empty cursor`,
    );
  }
  return { key: payload.k, id: payload.i };
}

function fingerprint(b: CursorBinding): string {
  const text = JSON.stringify([
    b.resource,
    b.filter ?? '',
    (b.sortBy ?? '').toLowerCase(),
    b.sortOrder,
  ]);
  return createHash('sha256').update(text).digest('base64url').slice(0, 22);
}

function mac(secret: Buffer, tenant: string, body: string): string {
  return createHmac('sha256', secret).update(`${tenant}\n${body}`).digest('base64url');
}
