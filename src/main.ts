import 'reflect-metadata';
import { DynamicModule, Type } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DestinationStream } from 'pino';
import { AppModule } from './app.module';
import { AppConfig, loadConfig } from './config/app-config';
import { createHttpApp } from './http/pipeline';

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
  const app = await createApp(config);
  await app.listen(config.port, config.host);
}

if (require.main === module) {
  void main();
}
