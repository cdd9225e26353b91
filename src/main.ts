import 'reflect-metadata';
import { DynamicModule, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { ClsServiceManager } from 'nestjs-cls';
import { DestinationStream } from 'pino';
import { AppModule } from './app.module';
import { configureApp } from './app.setup';
import { AppConfig, loadConfig } from './config/app-config';
import { registerRateLimit } from './common/rate-limit';
import { registerCorrelationHook } from './context/correlation.hook';

/**
 * Builds the application. `extraModules` lets tests mount probe routes that live inside the
 * real pipeline (global guards, filter, hooks); production passes none.
 */
export async function createApp(
  config: AppConfig,
  logDestination?: DestinationStream,
  extraModules: (Type | DynamicModule)[] = [],
): Promise<NestFastifyApplication> {
  const root = AppModule.forRoot(config, logDestination);
  root.imports = [...(root.imports ?? []), ...extraModules];
  const adapter = new FastifyAdapter({ bodyLimit: config.limits.bodyBytes, trustProxy: true });
  // Before Nest registers anything on Fastify (middie among it), so this is the first hook.
  registerCorrelationHook(
    adapter.getInstance(),
    ClsServiceManager.getClsService(),
    config.correlationIdMaxLength,
  );
  // Also before the routes exist: the limiter attaches itself to each route as it is added.
  await registerRateLimit(adapter.getInstance(), config.rateLimit);
  const app = await NestFactory.create<NestFastifyApplication>(root, adapter, {
    bufferLogs: true,
    bodyParser: false,
  });
  configureApp(app, config);
  app.enableShutdownHooks();
  return app;
}

async function main(): Promise<void> {
  let config: AppConfig;
  try {
    config = loadConfig();
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(1);
  }
  const app = await createApp(config);
  await app.listen(config.port, config.host);
}

if (require.main === module) {
  void main();
}
