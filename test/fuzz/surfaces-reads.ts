import { encodeAny, FuzzRequest } from './http';
import { nastyNumber, nastyString, Random, randomText } from './random';
import type { FuzzTarget, Surface } from './target';

/**
 * The read side the first surfaces left out: query parameters of the list, export, verify
 * and tail routes, the Events and root searches, and the console's static files.
 */

const SEARCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';

/** A query value: sometimes valid, often hostile, sometimes given twice. */
function param(r: Random, name: string, valid: () => string): string[] {
  if (r.chance(0.3)) return [];
  if (r.chance(0.1)) return [`${name}=${r.pick(['%00', '%ED%A0%80', '%FF', '%', '%G0'])}`];
  const one = () => `${name}=${encodeAny(r.chance(0.5) ? valid() : nastyString(r))}`;
  return r.chance(0.05) ? [one(), one()] : [one()];
}

function query(parts: string[][]): string {
  const flat = parts.flat();
  return flat.length === 0 ? '' : `?${flat.join('&')}`;
}

function header(r: Random, t: FuzzTarget): Record<string, string> {
  const headers: Record<string, string> = { Authorization: `Bearer ${t.token}` };
  if (r.chance(0.5)) headers['X-Correlation-ID'] = `rd-${r.int(1e9)}`;
  return headers;
}

const instant = (r: Random) =>
  r.pick(['2020-12-15T00:00:00Z', '2026-12-03T12:00:00.000Z', '2999-01-01', 'yesterday', '0']);
const smallFilter = (r: Random) =>
  r.pick([
    'result eq "RESPONSE_FAILURE"',
    'action.actionName sw "create"',
    `correlationId eq "${randomText(r, 6)}"`,
    'userName co "a"',
    'serialNumber pr',
    'name sw "O"',
  ]);

/** GET routes that take query parameters, the streaming ones included. */
const reads: Surface = (r, t) => {
  const v2 = `/${t.tenant}/v2`;
  const common = () => [
    param(r, 'filter', () => smallFilter(r)),
    param(r, 'startIndex', () => String(nastyNumber(r))),
    param(r, 'count', () => String(nastyNumber(r))),
  ];
  const headers = header(r, t);
  const choice = r.int(9);
  let req: FuzzRequest;
  if (choice === 0) {
    req = {
      method: 'GET',
      path: `${v2}/AuditRecords/.export${query([
        param(r, 'filter', () => `id eq "${t.userId}"`),
        param(r, 'format', () => r.pick(['ndjson', 'csv', 'json', 'CSV'])),
        param(r, 'after', () => r.pick([t.userId, '0193b6c4-0000-7000-8000-000000000000'])),
      ])}`,
      headers,
      stream: true,
    };
  } else if (choice === 1) {
    req = {
      method: 'GET',
      path: `${v2}/AuditRecords/.verify${query([
        param(r, 'from', () => instant(r)),
        param(r, 'to', () => instant(r)),
      ])}`,
      headers,
    };
  } else if (choice === 2) {
    if (r.chance(0.3)) headers['Last-Event-ID'] = nastyString(r).replace(/[\r\n]/g, ' ');
    req = {
      method: 'GET',
      path: `${v2}/AuditRecords/.tail${query([
        param(r, 'filter', () => smallFilter(r)),
        param(r, 'lastEventId', () => t.userId),
      ])}`,
      headers,
      stream: true,
    };
  } else {
    const list = r.pick(['AuditRecords', 'Devices', 'Organizations', 'Clients', 'LogStreams']);
    const extra = [
      param(r, 'cursor', () => r.pick(['', randomText(r, 12), 'eyJ9'])),
      param(r, 'sortBy', () => r.pick(['created', 'name', 'nosuch'])),
      param(r, 'attributes', () => r.pick(['id', 'name', 'meta.created', ''])),
    ];
    req = { method: 'GET', path: `${v2}/${list}${query([...common(), ...extra])}`, headers };
  }
  return req;
};

/** SearchRequests on the Events view and the root search, the bodies the json surface skips. */
const otherSearches: Surface = (r, t) => {
  const body: Record<string, unknown> = {};
  if (r.chance(0.7)) body.schemas = [SEARCH_SCHEMA];
  body.filter = r.chance(0.5) ? smallFilter(r) : nastyString(r);
  if (r.chance(0.3)) body.startIndex = nastyNumber(r);
  if (r.chance(0.3)) body.count = nastyNumber(r);
  if (r.chance(0.2)) body.cursor = nastyString(r);
  if (r.chance(0.2)) body.sortBy = r.pick(['created', 'correlationId', nastyString(r)]);
  const path = r.pick(['Events/.search', '.search']);
  const headers = { ...header(r, t), 'Content-Type': 'application/scim+json' };
  return {
    method: 'POST',
    path: `/${t.tenant}/v2/${path}`,
    headers,
    body: JSON.stringify(body),
  };
};

/** The console's static files, asked for by hostile names (traversal, NUL, overlong, odd methods). */
const consoleAssets: Surface = (r) => {
  const name = r.pick([
    () => r.pick(['', 'index.html', 'console.js', 'console.css', 'nosuch.js']),
    () => r.pick(['..%2f..%2fpackage.json', '../package.json', '%2e%2e/%2e%2e/.env', '..\\..\\']),
    () => encodeAny(nastyString(r)),
    () => `index.html${r.pick(['%00', '%00.js', '/', '%2f', '?x=%00', '#a'])}`,
    () => 'a/'.repeat(1 + r.int(300)),
    () => r.pick(['%', '%G0', '%ED%A0%80', '%FF']),
  ])();
  const method = r.pick(['GET', 'GET', 'GET', 'HEAD', 'POST', 'OPTIONS']);
  const headers: Record<string, string> = {};
  if (r.chance(0.5)) headers['X-Correlation-ID'] = `co-${r.int(1e9)}`;
  if (r.chance(0.2)) headers.Range = r.pick(['bytes=0-1', 'bytes=-1', 'bytes=9-1', 'bytes=x']);
  if (r.chance(0.2)) headers['If-None-Match'] = r.pick(['*', '"x"', 'W/"1"']);
  if (r.chance(0.1)) headers['Accept-Encoding'] = r.pick(['gzip', 'br', 'identity;q=0', '*']);
  const path = r.chance(0.05) ? '/console' : `/console/${name}`;
  return { method, path, headers };
};

export const READ_SURFACES: Record<string, Surface> = {
  reads,
  'other-searches': otherSearches,
  console: consoleAssets,
};
