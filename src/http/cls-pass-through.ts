import { INestApplication } from '@nestjs/common';
import { ApplicationConfig } from '@nestjs/core';

/**
 * nestjs-cls 6 registers a global guard and a global interceptor even when neither is
 * mounted (this service opens the context in its first onRequest hook, correlation.hook.ts);
 * unmounted, they pass everything through. A global interceptor, even a pass-through one, makes Nest run every handler
 * through its rxjs interceptor chain, with two `AsyncResource.bind` calls per request; with
 * none, Nest calls the handler directly. Measured on `POST /Users` this chain and the extra
 * guard were about a tenth of the service's CPU per request (docs/performance.md).
 *
 * Called before the application initialises, when Nest has collected the global enhancers
 * but not yet built the route handlers. Only the two plain pass-through objects are taken
 * out; the application's own guards are class instances and stay.
 */
export function dropClsPassThroughEnhancers(app: INestApplication): void {
  const config = (app as unknown as { config?: unknown }).config;
  if (!(config instanceof ApplicationConfig)) return;
  const isPassThrough = (enhancer: unknown, method: string): boolean =>
    typeof enhancer === 'object' &&
    enhancer !== null &&
    Object.getPrototypeOf(enhancer) === Object.prototype &&
    Object.keys(enhancer).length === 1 &&
    typeof (enhancer as Record<string, unknown>)[method] === 'function';
  removeWhere(config.getGlobalInterceptors(), (i) => isPassThrough(i, 'intercept'));
  removeWhere(config.getGlobalGuards(), (g) => isPassThrough(g, 'canActivate'));
}

function removeWhere<T>(list: T[], drop: (item: T) => boolean): void {
  for (let i = list.length - 1; i >= 0; i--) if (drop(list[i])) list.splice(i, 1);
}
