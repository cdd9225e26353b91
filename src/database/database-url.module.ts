import { Global, Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { EmbeddedPostgresLauncher } from './embedded-postgres.launcher';

/** The service role's URL: every pool of the running service connects with it. */
export const DATABASE_URL = Symbol('DATABASE_URL');
/** The schema owner's URL: used at start-up only, for migrations, grants and policies. */
export const MIGRATION_DATABASE_URL = Symbol('MIGRATION_DATABASE_URL');
const DATABASE_URLS = Symbol('DATABASE_URLS');
const EMBEDDED_PG = Symbol('EMBEDDED_PG');

interface DatabaseUrls {
  service: string;
  owner: string;
}

/**
 * Decides where the database is: `DATABASE_URL` (and `MIGRATION_DATABASE_URL`, which
 * defaults to it outside production) when set, else an embedded PostgreSQL started here with
 * both roles. The embedded server is stopped by main.ts after the application has closed
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
      provide: DATABASE_URLS,
      inject: [APP_CONFIG, EMBEDDED_PG],
      useFactory: async (
        config: AppConfig,
        launcher: EmbeddedPostgresLauncher | null,
      ): Promise<DatabaseUrls> => {
        if (config.databaseUrl) {
          return {
            service: config.databaseUrl,
            owner: config.migrationDatabaseUrl ?? config.databaseUrl,
          };
        }
        const urls = await launcher!.start();
        return { service: urls.service, owner: urls.owner };
      },
    },
    {
      provide: DATABASE_URL,
      inject: [DATABASE_URLS],
      useFactory: (urls: DatabaseUrls) => urls.service,
    },
    {
      provide: MIGRATION_DATABASE_URL,
      inject: [DATABASE_URLS],
      useFactory: (urls: DatabaseUrls) => urls.owner,
    },
  ],
  exports: [DATABASE_URL, MIGRATION_DATABASE_URL],
})
export class DatabaseUrlModule {}
