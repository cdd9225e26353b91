import { LoggerService } from '@nestjs/common';

/** Nest's own start-up chatter (one line per module and route): worth reading only at debug. */
const START_UP_CONTEXTS = new Set([
  'NestFactory',
  'InstanceLoader',
  'RoutesResolver',
  'RouterExplorer',
  'NestApplication',
]);

/**
 * The application's logger: nestjs-pino's, with Nest's start-up lines moved to `debug`, so
 * that at `info` a start shows what a person needs (the generated secret, where the service
 * listens) rather than eighty lines of wiring.
 */
export class AppLogger implements LoggerService {
  constructor(private readonly inner: Required<LoggerService>) {}

  log(message: unknown, ...optionalParams: unknown[]): void {
    const context = optionalParams[optionalParams.length - 1];
    if (typeof context === 'string' && START_UP_CONTEXTS.has(context)) {
      this.inner.debug(message, ...optionalParams);
    } else {
      this.inner.log(message, ...optionalParams);
    }
  }

  error(message: unknown, ...optionalParams: unknown[]): void {
    this.inner.error(message, ...optionalParams);
  }

  warn(message: unknown, ...optionalParams: unknown[]): void {
    this.inner.warn(message, ...optionalParams);
  }

  debug(message: unknown, ...optionalParams: unknown[]): void {
    this.inner.debug(message, ...optionalParams);
  }

  verbose(message: unknown, ...optionalParams: unknown[]): void {
    this.inner.verbose(message, ...optionalParams);
  }

  fatal(message: unknown, ...optionalParams: unknown[]): void {
    this.inner.fatal(message, ...optionalParams);
  }

  setLogLevels(): void {
    // Levels come from LOG_LEVEL through pino.
  }
}
