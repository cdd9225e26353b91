import { createHmac, hash, timingSafeEqual } from 'node:crypto';

/** The stored fields a record's hash covers: every column but the hash, MAC and commit order. */
export interface HashedRecordFields {
  id: string;
  tenant_id: string;
  correlation_id: string | null;
  request_id: string;
  coi: string | null;
  service_id: string;
  service_host: string | null;
  action_name: string;
  action_parameters: Record<string, string>;
  result: string;
  message: string | null;
  return_value: Record<string, string> | null;
  acting_user_id: string | null;
  acting_user_immutable_id: string | null;
  acting_session_id: string | null;
  acting_auth_method: string | null;
  target_user_id: string | null;
  target_user_immutable_id: string | null;
  /** What the change moved, who called, which trace: hashed only when set. */
  changes?: unknown;
  client?: unknown;
  trace_id?: string | null;
  /** ISO 8601 with milliseconds, UTC (`2020-12-15T11:05:39.799Z`). */
  created: string;
}

/** A record key: its id (stored with each MAC) and its secret (never stored). */
export interface RecordKey {
  id: string;
  secret: Buffer;
}

/**
 * PostgreSQL's jsonb text form: object keys ordered by byte length, then bytes; `", "` and
 * `": "` separators; strings escaped as JSON. The record hash is SHA-256 of this text, so it
 * can be computed by the service before the insert and recomputed by anyone from a row or
 * from the API form, with or without the database (the SQL function `audit_record_hash`
 * gives the same value, but a verifier never relies on it).
 */
export function jsonbText(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value !== 'object') return JSON.stringify(value);
  // Written out by hand: every record's hash takes this path (its parameters and changes).
  let out: string;
  if (Array.isArray(value)) {
    out = '[';
    for (let i = 0; i < value.length; i++) out += (i === 0 ? '' : ', ') + jsonbText(value[i]);
    return out + ']';
  }
  const object = value as Record<string, unknown>;
  const keys = sortedJsonbKeys(object);
  out = '{';
  for (let i = 0; i < keys.length; i++) {
    out += `${i === 0 ? '' : ', '}${JSON.stringify(keys[i])}: ${jsonbText(object[keys[i]])}`;
  }
  return out + '}';
}

/**
 * A copy of `value` with every object's keys in jsonb order, as PostgreSQL gives a stored
 * jsonb value back: for what is derived from a value before it is stored (the changes of a
 * new user) to list its attributes as it would after reading it back.
 */
export function inJsonbKeyOrder<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(inJsonbKeyOrder) as T;
  const object = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of sortedJsonbKeys(object)) out[k] = inJsonbKeyOrder(object[k]);
  return out as T;
}

/** The object's keys in jsonb order; the common all-ASCII case is told apart once, not per comparison. */
function sortedJsonbKeys(object: Record<string, unknown>): string[] {
  const keys = Object.keys(object);
  if (keys.length < 2) return keys;
  return keys.sort(keys.some((k) => NOT_PLAIN.test(k)) ? byJsonbKeyOrder : byLengthThenChar);
}

function byLengthThenChar(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}

/** Printable ASCII only; anything else takes the byte comparison. */
const NOT_PLAIN = /[^\x20-\x7e]/;

function byJsonbKeyOrder(a: string, b: string): number {
  // ASCII keys (all of the catalogue's): a character is a byte, so no encoding is needed.
  if (!NOT_PLAIN.test(a) && !NOT_PLAIN.test(b)) {
    return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
  }
  const [x, y] = [Buffer.from(a), Buffer.from(b)];
  return x.length - y.length || Buffer.compare(x, y);
}

/** The canonical content of a record: what `audit_record_hash` builds in SQL. */
export function canonicalRecord(r: HashedRecordFields): unknown {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    correlationId: r.correlation_id,
    requestId: r.request_id,
    coi: r.coi,
    service: { id: r.service_id, host: r.service_host },
    action: { actionName: r.action_name, actionParameters: r.action_parameters },
    result: r.result,
    message: r.message,
    returnValue: r.return_value,
    actingUserId: {
      id: r.acting_user_id,
      immutableId: r.acting_user_immutable_id,
      sessionId: r.acting_session_id,
      authenticationMethod: r.acting_auth_method,
    },
    targetUserId: { id: r.target_user_id, immutableId: r.target_user_immutable_id },
    created: r.created,
    // Present only when set, so records written before these columns hash as they did.
    ...(r.changes == null ? {} : { changes: r.changes }),
    ...(r.client == null ? {} : { client: r.client }),
    ...(r.trace_id == null ? {} : { traceId: r.trace_id }),
  };
}

/**
 * The record's jsonb members as jsonb text (`null` where unset): rendered once for its hash,
 * and a writer may send the same text to be stored instead of rendering the values again.
 */
export interface RecordJsonbTexts {
  action_parameters: string;
  return_value: string;
  changes: string;
  client: string;
}

export function recordJsonbTexts(
  r: HashedRecordFields,
  /**
   * The record rendered before it, in a batch: a member that is the very same object (the
   * batch's shared parameters, its caller's client) takes the text rendered for it then.
   */
  previous?: { fields: HashedRecordFields; texts: RecordJsonbTexts },
): RecordJsonbTexts {
  const same = (name: 'action_parameters' | 'client') =>
    previous !== undefined && r[name] !== null && r[name] === previous.fields[name];
  return {
    action_parameters: same('action_parameters')
      ? previous!.texts.action_parameters
      : jsonbText(r.action_parameters),
    return_value: jsonbText(r.return_value),
    changes: changesJsonbText(r.changes),
    client: same('client') ? previous!.texts.client : jsonbText(r.client),
  };
}

/** An AttributeChange's members in jsonb order (by length, then bytes), and their JSON keys. */
const CHANGE_NAMES = ['op', 'after', 'before', 'attribute', 'truncated', 'valueOmitted'];
const CHANGE_KEYS = CHANGE_NAMES.map((name) => `${JSON.stringify(name)}: `);
const NEXT_CHANGE_KEYS = CHANGE_KEYS.map((key) => `, ${key}`);
/** Where `op` and `attribute` are in CHANGE_NAMES: their values repeat from record to record. */
const OP = 0;
const ATTRIBUTE = 3;

/**
 * JSON strings of the values that name a change (its op, its attribute path): a batch of
 * created users repeats the same few, so each is quoted once, not once per record.
 */
const quotedNames = new Map<string, string>();
const QUOTED_NAMES_KEPT = 1024;

function quotedName(name: string): string {
  let quoted = quotedNames.get(name);
  if (quoted === undefined) {
    if (quotedNames.size >= QUOTED_NAMES_KEPT) quotedNames.clear();
    quoted = JSON.stringify(name);
    quotedNames.set(name, quoted);
  }
  return quoted;
}

/**
 * `jsonbText(changes)`, with the members of each change written in their known order
 * instead of sorted: a created user's record lists every attribute it set, and sorting each
 * change's keys was the largest part of stamping an imported user's record. Anything that is
 * not a list of plain changes (other members, other value types) takes `jsonbText`;
 * `record-integrity.spec.ts` holds the two equal.
 */
export function changesJsonbText(changes: unknown): string {
  if (!Array.isArray(changes)) return jsonbText(changes);
  let out = '[';
  for (let i = 0; i < changes.length; i++) {
    const text = changeJsonbText(changes[i]);
    if (text === undefined) return jsonbText(changes);
    out += i === 0 ? text : `, ${text}`;
  }
  return out + ']';
}

function changeJsonbText(change: unknown): string | undefined {
  if (change === null || typeof change !== 'object' || Array.isArray(change)) return undefined;
  const c = change as Record<string, unknown>;
  let out = '{';
  let written = 0;
  for (let i = 0; i < CHANGE_NAMES.length; i++) {
    const v = c[CHANGE_NAMES[i]];
    if (v === undefined) continue;
    let text: string;
    if (typeof v === 'string')
      text = i === OP || i === ATTRIBUTE ? quotedName(v) : JSON.stringify(v);
    else if (typeof v === 'boolean') text = v ? 'true' : 'false';
    else return undefined;
    out += (written++ === 0 ? CHANGE_KEYS[i] : NEXT_CHANGE_KEYS[i]) + text;
  }
  // Any other member (or one set to undefined) leaves it to the general path.
  let own = 0;
  for (const name in c) if (Object.hasOwn(c, name)) own++;
  return own === written && Object.getPrototypeOf(c) === Object.prototype ? out + '}' : undefined;
}

/** SHA-256 (hex) of the record's canonical content: API.md §4 `hash`. */
export function recordHash(
  r: HashedRecordFields,
  texts: RecordJsonbTexts = recordJsonbTexts(r),
): string {
  return canonicalTextHash(canonicalRecordText(r, texts));
}

/** SHA-256 (hex) of a record's canonical text (canonicalRecordText). */
export function canonicalTextHash(text: string): string {
  // One-shot: no Hash object per record (every write and every verified record pays this).
  return hash('sha256', text, 'hex');
}

const j = (value: string | null): string => (value === null ? 'null' : JSON.stringify(value));

/**
 * `jsonbText(canonicalRecord(r))` written out with its keys already in jsonb order (by
 * length, then bytes): the verifier checks every record this way, and sorting the same
 * fixed keys for each one cost most of its time. `record-integrity.spec.ts` holds the two
 * equal.
 */
export function canonicalRecordText(
  r: HashedRecordFields,
  texts: RecordJsonbTexts = recordJsonbTexts(r),
): string {
  return joinedText(r, texts, actionPart(r, texts), contextPart(r, texts), correlationPart(r));
}

/**
 * Writes the canonical texts of a run of records (a batch's), each the same as
 * `canonicalRecordText`: the parts that hold only what a record shares with the one before
 * it (its context: tenant, caller, action, parameters, COI) are taken from that record's
 * text instead of being rendered again. An imported user's record differs from its
 * neighbour only in its id, changes, time and target.
 */
export class CanonicalRecordTexts {
  private last?: {
    r: HashedRecordFields;
    texts: RecordJsonbTexts;
    action: string;
    context: string;
    correlation: string;
  };

  text(r: HashedRecordFields, texts: RecordJsonbTexts): string {
    const last = this.last;
    const action =
      last !== undefined && samePart(ACTION_PART, last.r, last.texts, r, texts)
        ? last.action
        : actionPart(r, texts);
    const context =
      last !== undefined && samePart(CONTEXT_PART, last.r, last.texts, r, texts)
        ? last.context
        : contextPart(r, texts);
    const correlation =
      last !== undefined && last.r.correlation_id === r.correlation_id
        ? last.correlation
        : correlationPart(r);
    this.last = { r, texts, action, context, correlation };
    return joinedText(r, texts, action, context, correlation);
  }
}

/** The canonical text around its parts: what each record has of its own. */
function joinedText(
  r: HashedRecordFields,
  texts: RecordJsonbTexts,
  action: string,
  context: string,
  correlation: string,
): string {
  // changes, client and traceId are keys only when set (records before them hash as they did).
  const changes = r.changes == null ? '' : `"changes": ${texts.changes}, `;
  return (
    `{"id": ${j(r.id)}, ${action}${changes}"created": ${j(r.created)}, ${context}` +
    `"targetUserId": {"id": ${j(r.target_user_id)}, "immutableId": ${j(r.target_user_immutable_id)}}, ` +
    correlation
  );
}

function correlationPart(r: HashedRecordFields): string {
  return `"correlationId": ${j(r.correlation_id)}}`;
}

/** From `"coi"` to `"result"`: the record's action, parameters and caller. */
function actionPart(r: HashedRecordFields, texts: RecordJsonbTexts): string {
  const client = r.client == null ? '' : `"client": ${texts.client}, `;
  return (
    `"coi": ${j(r.coi)}, ` +
    `"action": {"actionName": ${j(r.action_name)}, "actionParameters": ${texts.action_parameters}}, ` +
    `${client}"result": ${j(r.result)}, `
  );
}

/** From `"message"` to `"actingUserId"`: where the record was written and who acted. */
function contextPart(r: HashedRecordFields, texts: RecordJsonbTexts): string {
  const trace = r.trace_id == null ? '' : `"traceId": ${j(r.trace_id)}, `;
  return (
    `"message": ${j(r.message)}, ` +
    `"service": {"id": ${j(r.service_id)}, "host": ${j(r.service_host)}}, ${trace}` +
    `"tenantId": ${j(r.tenant_id)}, "requestId": ${j(r.request_id)}, ` +
    `"returnValue": ${texts.return_value}, ` +
    `"actingUserId": {"id": ${j(r.acting_user_id)}, "sessionId": ${j(r.acting_session_id)}, ` +
    `"immutableId": ${j(r.acting_user_immutable_id)}, "authenticationMethod": ${j(r.acting_auth_method)}}, `
  );
}

/**
 * The fields and jsonb texts a part of the canonical text is written from: two records
 * equal in them have the same part. (A client's text is `null` exactly when it is unset.)
 */
interface PartSource {
  fields: readonly (keyof HashedRecordFields)[];
  texts: readonly (keyof RecordJsonbTexts)[];
}

const ACTION_PART: PartSource = {
  fields: ['coi', 'action_name', 'result'],
  texts: ['action_parameters', 'client'],
};
const CONTEXT_PART: PartSource = {
  fields: [
    'message',
    'service_id',
    'service_host',
    'trace_id',
    'tenant_id',
    'request_id',
    'acting_user_id',
    'acting_session_id',
    'acting_user_immutable_id',
    'acting_auth_method',
  ],
  texts: ['return_value'],
};

function samePart(
  part: PartSource,
  a: HashedRecordFields,
  at: RecordJsonbTexts,
  b: HashedRecordFields,
  bt: RecordJsonbTexts,
): boolean {
  return (
    part.fields.every((f) => (a[f] ?? null) === (b[f] ?? null)) &&
    part.texts.every((t) => at[t] === bt[t])
  );
}

/**
 * The record's MAC: HMAC-SHA256 under a record key over `["audit-record", tenant, id, hash]`
 * as JSON (no separator can be confused), base64url. The id and tenant are in the hash
 * already; naming them again keeps a MAC from being moved to another row.
 */
export function recordMac(key: RecordKey, tenant: string, id: string, hash: string): string {
  return createHmac('sha256', key.secret)
    .update(JSON.stringify(['audit-record', tenant, id, hash]))
    .digest('base64url');
}

export function macMatches(
  key: RecordKey,
  tenant: string,
  id: string,
  hash: string,
  mac: string,
): boolean {
  const expected = Buffer.from(recordMac(key, tenant, id, hash));
  const given = Buffer.from(mac);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** Reads `id:base64secret,id:base64secret` (first = current). Undefined when malformed. */
export function parseRecordKeys(text: string): RecordKey[] | undefined {
  const keys: RecordKey[] = [];
  for (const entry of text.trim().split(',')) {
    const match = /^([A-Za-z0-9_.-]{1,32}):([A-Za-z0-9+/=_-]+)$/.exec(entry.trim());
    if (!match) return undefined;
    const secret = Buffer.from(
      match[2],
      match[2].includes('-') || match[2].includes('_') ? 'base64url' : 'base64',
    );
    if (secret.length < 16) return undefined;
    keys.push({ id: match[1], secret });
  }
  return keys.length > 0 ? keys : undefined;
}
