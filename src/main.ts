import 'reflect-metadata';
import { DynamicModule, Type } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DestinationStream } from 'pino';
import { AppModule } from './app.module';
import { AppConfig, loadConfig } from './config/app-config';
import { EmbeddedPostgresLauncher } from './database/embedded-postgres.launcher';
import { createHttpApp } from './http/pipeline';
import { checkHttpPort, listenOrExplain, startupFailure, stopOnSignals } from './lifecycle';

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
  return createHttpApp(root, config);
}

async function main(): Promise<void> {
  let config: AppConfig;
  try {
    config = loadConfig();
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(1);
  }
  let app: NestFastifyApplication | undefined;
  try {
    await checkHttpPort(config);
    app = await createApp(config);
    stopOnSignals(app, config);
    await listenOrExplain(app, config);
  } catch (error) {
    process.stderr.write(`${startupFailure(error, config)}\n`);
    await app?.close().catch(() => undefined);
    await EmbeddedPostgresLauncher.stopAll().catch(() => undefined);
    process.exit(1);
  }
}

if (require.main === module) {
  void main();
}
