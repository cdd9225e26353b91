import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { ClsService } from 'nestjs-cls';
import { AuditAction } from '../audit/audit-actions';
import { AuditService, FailureDetails } from '../audit/audit.service';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { RequestContext } from '../context/request-context';

interface Window {
  count: number;
  last?: { action: AuditAction; details: FailureDetails; ctx: RequestContext };
  timer: NodeJS.Timeout;
}

/** Open windows at most; past it every failure is recorded on its own again. */
const MAX_WINDOWS = 10_000;

/**
 * Coalesces the records of a flood of identical refusals (a throttled client id hammering
 * the token endpoint from one address): the first failure of a key is recorded as usual and
 * opens a window of AUTH_FAILURE_COALESCE_SECONDS; the failures that repeat it within the
 * window are counted, and at its end written as ONE record, with the last one's request and
 * correlation ids and a message that says how many it stands for. The trail thus keeps every
 * refusal, at the cost of one insert per window instead of one per request.
 */
@Injectable()
export class FailureCoalescer implements OnApplicationShutdown {
  private readonly logger = new Logger(FailureCoalescer.name);
  private readonly windows = new Map<string, Window>();
  private readonly windowMs: number;

  constructor(
    private readonly audit: AuditService,
    private readonly cls: ClsService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.windowMs = config.authFailures.coalesceSeconds * 1000;
  }

  /** True when the failure was counted into an open window: its record comes at the end. */
  absorb(key: string, action: AuditAction, details: FailureDetails, ctx: RequestContext): boolean {
    const open = this.windows.get(key);
    if (open) {
      open.count++;
      open.last = { action, details, ctx };
      return true;
    }
    if (this.windows.size < MAX_WINDOWS) {
      const timer = setTimeout(() => void this.close(key), this.windowMs);
      timer.unref();
      this.windows.set(key, { count: 0, timer });
    }
    return false;
  }

  private async close(key: string): Promise<void> {
    const window = this.windows.get(key);
    this.windows.delete(key);
    if (!window?.last || window.count === 0) return;
    const { action, details, ctx } = window.last;
    const message =
      `coalesced: this record stands for ${window.count} identical failures ` +
      `(${details.status} ${details.error}) of the same client id from the same address within ` +
      `${this.windowMs / 1000} s; request and correlation ids are the last one's`;
    try {
      await this.cls.run(() => this.audit.recordFailure(action, { ...details, message }, ctx));
    } catch (error) {
      this.audit.logFailure(error);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    const keys = [...this.windows.keys()];
    for (const key of keys) clearTimeout(this.windows.get(key)!.timer);
    await Promise.all(keys.map((key) => this.close(key)));
    if (keys.length > 0) this.logger.log(`closed ${keys.length} coalescing window(s) at shutdown`);
  }
}
