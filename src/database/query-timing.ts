import { ClsServiceManager } from 'nestjs-cls';
import { RequestContext } from '../context/request-context';

/** Statements a request ran and the milliseconds they took, summed. */
export interface QueryTiming {
  statements: number;
  ms: number;
}

let enabled = false;
const timings = new WeakMap<RequestContext, QueryTiming>();

/**
 * Turns per-request database timing on (LOG_LEVEL=debug or trace). Off, a statement pays one
 * boolean test; on, a clock read and a CLS look-up, which is why it is not always on.
 */
export function enableQueryTiming(on: boolean): void {
  enabled = on;
}

/** Runs `statement`, adding its duration to the current request's timing when enabled. */
export async function timed<T>(statement: () => Promise<T>): Promise<T> {
  if (!enabled) return statement();
  const started = performance.now();
  try {
    return await statement();
  } finally {
    const cls = ClsServiceManager.getClsService();
    const ctx = cls.isActive() ? cls.get<RequestContext | undefined>('ctx') : undefined;
    if (ctx) {
      const timing = timings.get(ctx) ?? { statements: 0, ms: 0 };
      timing.statements += 1;
      timing.ms += performance.now() - started;
      timings.set(ctx, timing);
    }
  }
}

/** What the request's statements took, if timing is on and it ran any. */
export function queryTimingOf(ctx: RequestContext): QueryTiming | undefined {
  const timing = timings.get(ctx);
  return timing && { statements: timing.statements, ms: Math.round(timing.ms * 10) / 10 };
}
