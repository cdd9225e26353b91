import { isIP } from 'node:net';
import { scimError } from '../common/api-error';
import { AUDIT_FILTER_SCHEMA } from '../audit/audit.filter-schema';
import { compileScimFilter, MAX_FILTER_LENGTH, parseScimFilter, SqlParams } from '../scim/filter';
import { LogStreamStatus } from './log-stream-row';

export const DEFAULT_BATCH_SIZE = 100;
export const MAX_BATCH_SIZE = 1000;
const MAX_URL_LENGTH = 2048;
const MAX_NAME_LENGTH = 128;

/** The writable members of a LogStream, as a create or a PATCH body gives them. */
export interface LogStreamInput {
  name?: string;
  url?: string;
  filter?: string | null;
  batchSize?: number;
  status?: LogStreamStatus;
}

const MEMBERS = new Set(['schemas', 'name', 'url', 'filter', 'batchSize', 'status']);

/** Reads a create (`url` required) or PATCH body; every refusal is a SCIM 400. */
export function readLogStreamInput(body: unknown, create: boolean): LogStreamInput {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw invalid('the body must be a JSON object');
  }
  const b = body as Record<string, unknown>;
  for (const key of Object.keys(b)) {
    if (!MEMBERS.has(key)) throw invalid(`unknown attribute ${JSON.stringify(key.slice(0, 64))}`);
  }
  const input: LogStreamInput = {};
  if (b.url !== undefined || create) input.url = readUrl(b.url);
  if (b.name !== undefined) {
    if (typeof b.name !== 'string' || b.name.trim() === '' || b.name.length > MAX_NAME_LENGTH) {
      throw invalid(`name must be a non-empty string of at most ${MAX_NAME_LENGTH} characters`);
    }
    input.name = b.name;
  }
  if (b.filter !== undefined) input.filter = readFilter(b.filter);
  if (b.batchSize !== undefined) {
    if (
      !Number.isInteger(b.batchSize) ||
      (b.batchSize as number) < 1 ||
      (b.batchSize as number) > MAX_BATCH_SIZE
    ) {
      throw invalid(`batchSize must be an integer from 1 to ${MAX_BATCH_SIZE}`);
    }
    input.batchSize = b.batchSize as number;
  }
  if (b.status !== undefined) {
    if (create) throw invalid('status is set by PATCH only (a new stream is active)');
    if (b.status !== 'active' && b.status !== 'paused') {
      throw invalid('status must be "active" or "paused"');
    }
    input.status = b.status;
  }
  return input;
}

/**
 * https anywhere, or http to a loopback address (a receiver on the same host, and tests);
 * no credentials in the URL, since the URL is shown on every read of the stream.
 */
function readUrl(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_URL_LENGTH) {
    throw invalid(`url must be an absolute https URL of at most ${MAX_URL_LENGTH} characters`);
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid('url is not an absolute URL');
  }
  if (url.username || url.password) throw invalid('url must not carry credentials');
  if (url.hash) throw invalid('url must not have a fragment');
  if (url.protocol === 'https:') return url.toString();
  if (url.protocol === 'http:' && isLoopback(url.hostname)) return url.toString();
  throw invalid('url must use https (http only to a loopback address)');
}

function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

/** The filter must compile against the AuditRecord schema, as a search's would. */
function readFilter(value: unknown): string | null {
  if (value === null || value === '') return null;
  if (typeof value !== 'string' || value.length > MAX_FILTER_LENGTH) {
    throw scimError(
      400,
      'invalidFilter',
      `filter must be a string of at most ${MAX_FILTER_LENGTH} characters`,
    );
  }
  compileScimFilter(parseScimFilter(value), AUDIT_FILTER_SCHEMA, new SqlParams());
  return value;
}

/** The URL without query string, for records and logs (a query may carry a token). */
export function endpointOf(url: string): string {
  const u = new URL(url);
  return `${u.origin}${u.pathname}`;
}

const invalid = (detail: string) => scimError(400, 'invalidValue', detail);
