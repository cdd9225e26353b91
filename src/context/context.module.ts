import { ClsPluginTransactional } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { Global, Module } from '@nestjs/common';
import { getDataSourceToken, TypeOrmModule } from '@nestjs/typeorm';
import { ClsModule } from 'nestjs-cls';
import { RequestContextService } from './request-context.service';

/**
 * Provides the CLS service and wires the transactional plugin: services' @Transactional() and
 * audit writes share one EntityManager. Each request's context is opened by the correlation
 * hook, the first onRequest hook (so middleware, guards, pipes and filters all see it); the
 * store holds the very object the raw request carries, so the exception filter, which reads
 * it from the request, sees what guards and services added.
 */
@Global()
@Module({
  imports: [
    ClsModule.forRootAsync({
      global: true,
      // The context is opened by the first onRequest hook (correlation.hook.ts), not by
      // nestjs-cls's middleware, and no guard or interceptor of nestjs-cls is mounted.
      useFactory: () => ({ middleware: { mount: false } }),
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
