import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { boundedClient } from './bounded-client';
import { Database } from './database';
import { DATABASE_URL, DatabaseUrlModule } from './database-url.module';
import { runMigrations } from './migration-runner';
import { migrations } from './migrations';
import { SearchDatabase } from './search-database';

/**
 * Opens the TypeORM data source and applies migrations before anything touches the schema,
 * and provides the two handles statements run on: `Database` (the CLS transaction) and
 * `SearchDatabase` (the search connections).
 */
@Global()
@Module({
  imports: [
    DatabaseUrlModule,
    TypeOrmModule.forRootAsync({
      imports: [DatabaseUrlModule],
      inject: [APP_CONFIG, DATABASE_URL],
      useFactory: (config: AppConfig, url: string) => ({
        type: 'postgres' as const,
        url,
        migrations,
        migrationsRun: false,
        synchronize: false,
        entities: [],
        extra: {
          max: config.dbPoolSize,
          // pg-pool's wait for a connection (opening one included); 503 beyond.
          connectionTimeoutMillis: config.dbTimeouts.acquireMs,
          Client: boundedClient(config.dbTimeouts),
        },
        logging: false,
      }),
      dataSourceFactory: async (options) => {
        // Migrations run on a connection of their own without the statement bounds: they
        // wait for another instance's migrations (an advisory lock) and may rebuild indexes.
        const migrator = await new DataSource({ ...options!, extra: { max: 2 } }).initialize();
        try {
          await runMigrations(migrator);
        } finally {
          await migrator.destroy();
        }
        return new DataSource(options!).initialize();
      },
    }),
  ],
  providers: [Database, SearchDatabase],
  exports: [Database, SearchDatabase],
})
export class DatabaseModule {}
