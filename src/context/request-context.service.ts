import { Injectable } from '@nestjs/common';
import { ClsService } from 'nestjs-cls';
import { Actor, AppClsStore, RequestContext } from './request-context';

/**
 * The one facade over the CLS store: services never pass correlation ids, actors or COIs
 * around as parameters; they ask here.
 */
@Injectable()
export class RequestContextService {
  constructor(private readonly cls: ClsService<AppClsStore>) {}

  get(): RequestContext | undefined {
    return this.cls.isActive() ? this.cls.get('ctx') : undefined;
  }

  require(): RequestContext {
    const ctx = this.get();
    if (!ctx) throw new Error('No request context is active');
    return ctx;
  }

  setActor(actor: Actor): void {
    this.require().actor = actor;
  }

  setTenant(tenant: string): void {
    this.require().tenant = tenant;
  }

  setCoi(coi: string): void {
    this.require().coi = coi;
  }

  /** Runs `fn` in a fresh context (background jobs rebuild what their request carried). */
  run<T>(ctx: RequestContext, fn: () => Promise<T>): Promise<T> {
    return this.cls.run(() => {
      this.cls.set('ctx', { ...ctx });
      return fn();
    });
  }

  /** Runs `fn` in a child context that inherits the current one with some fields changed. */
  runWith<T>(changes: Partial<RequestContext>, fn: () => Promise<T>): Promise<T> {
    return this.run({ ...this.require(), ...changes }, fn);
  }
}
