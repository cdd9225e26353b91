import { BeforeApplicationShutdown, Global, Inject, Logger, Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { EmbeddedPostgresLauncher } from './embedded-postgres.launcher';

export const DATABASE_URL = Symbol('DATABASE_URL');
const EMBEDDED_PG = Symbol('EMBEDDED_PG');

/**
 * Decides where the database is: `DATABASE_URL` when set, else an embedded PostgreSQL started
 * here and stopped cleanly when the application shuts down (SIGINT/SIGTERM).
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
export class DatabaseUrlModule implements BeforeApplicationShutdown {
  private readonly logger = new Logger('Database');

  constructor(@Inject(EMBEDDED_PG) private readonly launcher: EmbeddedPostgresLauncher | null) {}

  /**
   * Before every other shutdown hook: on SIGTERM or SIGINT the embedded-postgres package stops
   * its cluster itself and then ends the process, so this stop must be the first thing
   * shutdown awaits, whichever modules' hooks Nest would otherwise run first.
   */
  async beforeApplicationShutdown(): Promise<void> {
    if (!this.launcher) return;
    this.logger.log('Stopping embedded PostgreSQL');
    await this.launcher.stop();
  }
}
