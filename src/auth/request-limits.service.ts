import { Inject, Injectable } from '@nestjs/common';
import { ApiError } from '../common/api-error';
import { WindowCounter } from '../common/window-counter';
import { APP_CONFIG, AppConfig } from '../config/app-config';

/**
 * Per-instance limits that need to know who is asking, beside the per-address limit of the
 * HTTP pipeline (rate-limit.ts):
 *
 * - failed client authentications per claimed client id (within its tenant) and per caller
 *   address (AUTH_FAILURE_MAX per AUTH_FAILURE_WINDOW_SECONDS): past it, attempts from that
 *   address or for that client id are answered 429 before any lookup, until the window ends;
 * - authenticated requests per client and per tenant (RATE_LIMIT_CLIENT_MAX,
 *   RATE_LIMIT_TENANT_MAX per RATE_LIMIT_WINDOW_SECONDS).
 *
 * The caller's address is X-Forwarded-For's only when TRUST_PROXY says so, so a client
 * cannot escape a limit by inventing one. Every 429 has `Retry-After` and the route's error
 * format; a refused write is recorded as a failure like any other.
 */
export interface AuthenticationRefusal {
  detail: string;
  retryAfterSeconds: number;
  /** Identical refusals (tenant, claimed client id, address) share one record. */
  coalesceKey: string;
  /** How long the answer is held (AUTH_FAILURE_DELAY_MS, at most the Retry-After). */
  holdMs: number;
}

@Injectable()
export class RequestLimitsService {
  private readonly failures: WindowCounter;
  private readonly requests: WindowCounter;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    this.failures = new WindowCounter(config.authFailures.windowSeconds * 1000);
    this.requests = new WindowCounter(config.rateLimit.windowSeconds * 1000);
  }

  /** Refuses an authentication attempt when its client id or address failed too often. */
  checkAuthentication(tenant: string, clientId: string, address: string | undefined): void {
    const refusal = this.authenticationRefusal(tenant, clientId, address);
    if (refusal) throw tooMany(refusal.detail, refusal.retryAfterSeconds, refusal.coalesceKey);
  }

  /**
   * Notes a request refused for an invalid bearer token, counted against its address only
   * (a forged token could name any client). Past AUTH_FAILURE_MAX the refusal stays a 401,
   * but the answer is how a flood is answered: coalesced record, held back. Valid tokens
   * from the same address are not affected.
   */
  noteInvalidToken(
    tenant: string,
    claimedClientId: string | undefined,
    address: string | undefined,
    reason: string,
  ): { coalesceKey: string; holdMs: number } | undefined {
    const flood = this.authenticationRefusal(tenant, undefined, address);
    this.noteAuthenticationFailure(tenant, undefined, address);
    if (!flood) return undefined;
    return {
      coalesceKey: `bearer\u0000${tenant}\u0000${claimedClientId ?? ''}\u0000${address ?? ''}\u0000${reason}`,
      holdMs: flood.holdMs,
    };
  }

  /**
   * Why an attempt is throttled, or undefined. Without a client id (not known before the
   * body is read) only the address counts. A plain value, not an error: the early answer of
   * a flood (auth-throttle.hook.ts) has no use for a stack trace.
   */
  authenticationRefusal(
    tenant: string,
    clientId: string | undefined,
    address: string | undefined,
  ): AuthenticationRefusal | undefined {
    const max = this.config.authFailures.max;
    if (max === 0) return undefined;
    for (const key of failureKeys(tenant, clientId, address)) {
      const seen = this.failures.peek(key);
      if (seen.count >= max) {
        return {
          detail: `Too many failed client authentications for this client or from this address; retry in ${seen.retryAfterSeconds} s`,
          retryAfterSeconds: seen.retryAfterSeconds,
          holdMs: Math.min(this.config.authFailures.delayMs, seen.retryAfterSeconds * 1000),
          coalesceKey: `auth\u0000${tenant}\u0000${clientId ?? ''}\u0000${address ?? ''}`,
        };
      }
    }
    return undefined;
  }

  noteAuthenticationFailure(
    tenant: string,
    clientId: string | undefined,
    address: string | undefined,
  ): void {
    if (this.config.authFailures.max === 0) return;
    for (const key of failureKeys(tenant, clientId, address)) this.failures.hit(key);
  }

  /** Counts one authenticated request of `clientId` on `tenant`; 429 past either limit. */
  countRequest(tenant: string, clientId: string): void {
    const { clientMax, tenantMax, windowSeconds } = this.config.rateLimit;
    if (clientMax > 0) {
      const seen = this.requests.hit(`client\u0000${tenant}\u0000${clientId}`);
      if (seen.count > clientMax) {
        throw tooMany(
          `Rate limit exceeded: at most ${clientMax} requests per ${windowSeconds} s for one client; retry in ${seen.retryAfterSeconds} s`,
          seen.retryAfterSeconds,
        );
      }
    }
    if (tenantMax > 0) {
      const seen = this.requests.hit(`tenant\u0000${tenant}`);
      if (seen.count > tenantMax) {
        throw tooMany(
          `Rate limit exceeded: at most ${tenantMax} requests per ${windowSeconds} s for one tenant; retry in ${seen.retryAfterSeconds} s`,
          seen.retryAfterSeconds,
        );
      }
    }
  }
}

function failureKeys(
  tenant: string,
  clientId: string | undefined,
  address: string | undefined,
): string[] {
  const keys = clientId === undefined ? [] : [`client\u0000${tenant}\u0000${clientId}`];
  if (address) keys.push(`address\u0000${address}`);
  return keys;
}

function tooMany(detail: string, retryAfterSeconds: number, coalesceKey?: string): ApiError {
  return new ApiError(429, 'too_many_requests', detail, {
    headers: { 'Retry-After': String(retryAfterSeconds) },
    ...(coalesceKey ? { coalesceKey } : {}),
  });
}
