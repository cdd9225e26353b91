import { Global, Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { EmbeddedPostgresLauncher } from './embedded-postgres.launcher';

export const DATABASE_URL = Symbol('DATABASE_URL');
const EMBEDDED_PG = Symbol('EMBEDDED_PG');

/**
 * Decides where the database is: `DATABASE_URL` when set, else an embedded PostgreSQL started
 * here. The embedded server is stopped by main.ts after the application has closed
 * (EmbeddedPostgresLauncher.stopAll), so the job runner and the pools close while it still
 * answers: a shutdown hook here would stop it under them, whichever hook it ran in. The
 * launcher takes off the signal handlers with which embedded-postgres would otherwise stop
 * the server, and end the process, on its own.
 */
@Global()
@Module({
  providers: [
    {
      provide: EMBEDDED_PG,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) =>
        config.databaseUrl
          ? null
          : new EmbeddedPostgresLauncher(config.embeddedPg.dataDir, config.embeddedPg.port),
    },
    {
      provide: DATABASE_URL,
      inject: [APP_CONFIG, EMBEDDED_PG],
      useFactory: async (config: AppConfig, launcher: EmbeddedPostgresLauncher | null) =>
        config.databaseUrl ?? (await launcher!.start()),
    },
  ],
  exports: [DATABASE_URL],
})
export class DatabaseUrlModule {}
