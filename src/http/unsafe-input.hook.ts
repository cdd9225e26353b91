import { FastifyInstance } from 'fastify';
import { describeUnsafe, findUnsafeText } from '../common/text-safety';
import { invalidValue } from './body-parsers';

/**
 * Query parameters and path segments get the body's text rule (body-parsers.ts): a NUL or an
 * unpaired surrogate (`?filter=...%00`, `/Users/%00`) is 400 invalidValue naming the
 * parameter, in the route's format, before guards or handlers run.
 */
export function registerUnsafeInputHook(fastify: FastifyInstance): void {
  fastify.addHook('preValidation', (request, _reply, done) => {
    const unsafe = findUnsafeText(request.query) ?? findUnsafeText(request.params);
    done(unsafe ? invalidValue(describeUnsafe(unsafe)) : undefined);
  });
}
