import fastifyStatic from '@fastify/static';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { resolve } from 'node:path';

/** The console's files (plain HTML, CSS and an ES module; no build step), at the repository root. */
export const CONSOLE_ROOT = resolve(__dirname, '..', '..', 'console');

/**
 * Only this origin's own files, no inline script or style, no framing: the console holds an
 * access token in memory, so nothing else may run in its page.
 */
const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * Serves the audit console at /console/ (docs/console.md). The files are public; every call
 * the page makes goes through the API's own authentication.
 */
export async function registerConsole(app: NestFastifyApplication): Promise<void> {
  await app.register(fastifyStatic, {
    root: CONSOLE_ROOT,
    prefix: '/console/',
    decorateReply: false,
    index: 'index.html',
    setHeaders: (reply) => {
      void reply
        .header('content-security-policy', CONSOLE_CSP)
        .header('x-content-type-options', 'nosniff')
        .header('referrer-policy', 'no-referrer')
        .header('cache-control', 'no-cache');
    },
  });
  app
    .getHttpAdapter()
    .getInstance()
    .get('/console', (_request, reply) => reply.redirect('/console/', 301));
}
