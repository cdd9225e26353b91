import { ClsPluginTransactional } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { Global, Module } from '@nestjs/common';
import { getDataSourceToken, TypeOrmModule } from '@nestjs/typeorm';
import { ClsModule, ClsService } from 'nestjs-cls';
import { IncomingMessage } from 'node:http';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { contextFor } from './correlation.hook';
import { AppClsStore } from './request-context';
import { RequestContextService } from './request-context.service';

/**
 * Opens the CLS context in middleware (so guards, pipes and filters see it) and wires the
 * transactional plugin: services' @Transactional() and audit writes share one EntityManager.
 * The store holds the very object the raw request carries, so the exception filter, which
 * reads it from the request, sees what guards and services added.
 */
@Global()
@Module({
  imports: [
    ClsModule.forRootAsync({
      global: true,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({
        middleware: {
          mount: true,
          setup: (cls: ClsService, req: IncomingMessage) => {
            (cls as unknown as ClsService<AppClsStore>).set(
              'ctx',
              contextFor(req, config.correlationIdMaxLength),
            );
          },
        },
      }),
      plugins: [
        new ClsPluginTransactional({
          imports: [TypeOrmModule],
          adapter: new TransactionalAdapterTypeOrm({ dataSourceToken: getDataSourceToken() }),
        }),
      ],
    }),
  ],
  providers: [RequestContextService],
  exports: [RequestContextService],
})
export class ContextModule {}
