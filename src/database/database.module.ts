import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { boundedClient } from './bounded-client';
import { Database } from './database';
import { DATABASE_URL, DatabaseUrlModule, MIGRATION_DATABASE_URL } from './database-url.module';
import { migrations } from './migrations';
import { SearchDatabase } from './search-database';
import { checkServiceRole, prepareSchema, serviceRoleOf } from './service-role';
import { TenantScopes } from './tenant-scope';

/**
 * Opens the TypeORM data source as the service role, applies migrations and the service
 * role's grants as the schema owner before anything touches the schema, refuses a role that
 * is too strong (production), and provides the two handles statements run on: `Database` (the CLS transaction) and
 * `SearchDatabase` (the search connections).
 */
@Global()
@Module({
  imports: [
    DatabaseUrlModule,
    TypeOrmModule.forRootAsync({
      imports: [DatabaseUrlModule],
      inject: [APP_CONFIG, DATABASE_URL, MIGRATION_DATABASE_URL],
      useFactory: (config: AppConfig, url: string, ownerUrl: string) => ({
        type: 'postgres' as const,
        url,
        // Not TypeORM's: read back by dataSourceFactory, which gets nothing injected.
        ownerUrl,
        config,
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
        const { ownerUrl, config, ...rest } = options as typeof options & {
          ownerUrl: string;
          config: AppConfig;
        };
        const dataSource = await new DataSource(rest).initialize();
        try {
          const role = await serviceRoleOf(dataSource);
          // A superuser is refused before anything is changed; ownership of the trail can
          // only be judged once the migrations have made it.
          if (role.superuser && config.nodeEnv === 'production') checkServiceRole(role, config);
          await prepareSchema(ownerUrl, role.name);
          checkServiceRole(await serviceRoleOf(dataSource), config);
        } catch (error) {
          await dataSource.destroy();
          throw error;
        }
        return dataSource;
      },
    }),
  ],
  providers: [Database, SearchDatabase, TenantScopes],
  exports: [Database, SearchDatabase, TenantScopes],
})
export class DatabaseModule {}
