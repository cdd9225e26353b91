import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { LoggerModule } from 'nestjs-pino';
import { DestinationStream } from 'pino';
import { AuditModule } from './audit/audit.module';
import { AuthModule } from './auth/auth.module';
import { BulkImportModule } from './bulk-import/bulk-import.module';
import { BearerGuard } from './auth/bearer.guard';
import { CibaModule } from './ciba/ciba.module';
import { ClientsModule } from './clients/clients.module';
import { AllExceptionsFilter } from './common/all-exceptions.filter';
import { AppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { ContextModule } from './context/context.module';
import { RequestGuard } from './context/request.guard';
import { DatabaseModule } from './database/database.module';
import { DevicesModule } from './devices/devices.module';
import { EventsModule } from './events/events.module';
import { HealthModule } from './health/health.module';
import { JobsModule } from './jobs/jobs.module';
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
        DevicesModule,
        OrganizationsModule,
        BulkImportModule,
        CibaModule,
        ServiceProviderModule,
        HealthModule,
      ],
      providers: [
        // Order matters: the request guard (tenant shape, correlation id) runs before auth.
        { provide: APP_GUARD, useClass: RequestGuard },
        { provide: APP_GUARD, useExisting: BearerGuard },
        { provide: APP_FILTER, useClass: AllExceptionsFilter },
      ],
    };
  }
}
