import { randomBytes } from 'node:crypto';

/** The W3C Trace Context (https://www.w3.org/TR/trace-context/) a request came with. */
export interface TraceContext {
  /** 32 lower-case hex digits, not all zero. */
  traceId: string;
  /** The caller's span (`parent-id` of its traceparent). */
  parentId: string;
  /** This server's span for the request: the `child-id` of `traceresponse`. */
  spanId: string;
  /** `trace-flags`, two hex digits (`01`: sampled). */
  flags: string;
  /** `tracestate`, kept as received (combined if sent twice) for work carried on. */
  state?: string;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ALL_ZERO = /^0+$/;
/** tracestate: at most 32 list members, each `key=value` of printable ASCII (spec §3.3). */
const TRACESTATE_MAX_LENGTH = 512;

/**
 * Reads `traceparent` per the spec's processing model: a header that does not parse is
 * ignored as if absent (never an error). Version `00` must have exactly four fields; a later
 * version is read by its first four fields; version `ff` is invalid. Without a valid
 * traceparent, `tracestate` is ignored too.
 */
export function parseTraceContext(
  traceparent: string | string[] | undefined,
  tracestate: string | string[] | undefined,
): TraceContext | undefined {
  if (typeof traceparent !== 'string') return undefined;
  const m = TRACEPARENT.exec(traceparent.trim());
  if (!m) return undefined;
  const [, version, traceId, parentId, flags, rest] = m;
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  if (ALL_ZERO.test(traceId) || ALL_ZERO.test(parentId)) return undefined;
  const trace: TraceContext = { traceId, parentId, spanId: newSpanId(), flags };
  const state = Array.isArray(tracestate) ? tracestate.join(',') : tracestate;
  if (
    state !== undefined &&
    state.length <= TRACESTATE_MAX_LENGTH &&
    /^[\x20-\x7e]*$/.test(state)
  ) {
    const trimmed = state.trim();
    if (trimmed !== '') trace.state = trimmed;
  }
  return trace;
}

/** The `traceresponse` header (Trace Context Level 2): this server's span in the caller's trace. */
export function traceResponse(trace: TraceContext): string {
  return `00-${trace.traceId}-${trace.spanId}-${trace.flags}`;
}

function newSpanId(): string {
  let id: string;
  do id = randomBytes(8).toString('hex');
  while (ALL_ZERO.test(id));
  return id;
}
