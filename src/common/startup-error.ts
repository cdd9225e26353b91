/**
 * A start that cannot succeed, worded for the person starting the service: one sentence
 * with the cause and the fix. main.ts prints it alone, without a stack.
 */
export class StartupError extends Error {
  override readonly name = 'StartupError';
}
