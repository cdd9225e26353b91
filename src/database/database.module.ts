import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/app-config';
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
        extra: { max: config.dbPoolSize },
        logging: false,
      }),
      dataSourceFactory: async (options) => {
        const dataSource = await new DataSource(options!).initialize();
        await runMigrations(dataSource);
        return dataSource;
      },
    }),
  ],
  providers: [Database, SearchDatabase],
  exports: [Database, SearchDatabase],
})
export class DatabaseModule {}
