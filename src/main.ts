import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DestinationStream } from 'pino';
import { AppModule } from './app.module';
import { configureApp } from './app.setup';
import { AppConfig, loadConfig } from './config/app-config';

export async function createApp(
  config: AppConfig,
  logDestination?: DestinationStream,
): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(config, logDestination),
    new FastifyAdapter({ bodyLimit: config.limits.bodyBytes, trustProxy: true }),
    { bufferLogs: true, bodyParser: false },
  );
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
