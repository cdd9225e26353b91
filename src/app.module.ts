import { DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { DestinationStream } from 'pino';
import { AuditModule } from './audit/audit.module';
import { AuthModule } from './auth/auth.module';
import { BulkImportModule } from './bulk-import/bulk-import.module';
import { CibaModule } from './ciba/ciba.module';
import { ClientRegistrationModule } from './client-registration/client-registration.module';
import { ClientsModule } from './clients/clients.module';
import { AppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { ContextModule } from './context/context.module';
import { DatabaseModule } from './database/database.module';
import { DevicesModule } from './devices/devices.module';
import { EventsModule } from './events/events.module';
import { HealthModule } from './health/health.module';
import { PIPELINE_PROVIDERS } from './http/pipeline';
import { JobsModule } from './jobs/jobs.module';
import { LogStreamsModule } from './log-streams/log-streams.module';
import { loggerOptions } from './logging/logger.options';
import { OrganizationsModule } from './organizations/organizations.module';
import { SearchModule } from './search/search.module';
import { ServiceProviderModule } from './service-provider/service-provider.module';
import { UsersModule } from './users/users.module';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig, logDestination?: DestinationStream): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggerModule.forRoot(loggerOptions(config, logDestination)),
        DatabaseModule,
        ContextModule,
        SearchModule,
        AuditModule,
        EventsModule,
        JobsModule,
        AuthModule,
        UsersModule,
        ClientsModule,
        ClientRegistrationModule,
        DevicesModule,
        OrganizationsModule,
        BulkImportModule,
        CibaModule,
        LogStreamsModule,
        ServiceProviderModule,
        HealthModule,
      ],
      // The pipeline's guards and exception filter (src/http/pipeline.ts).
      providers: PIPELINE_PROVIDERS,
    };
  }
}
