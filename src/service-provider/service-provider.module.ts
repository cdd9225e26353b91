import { Module } from '@nestjs/common';
import { ServiceProviderController } from './service-provider.controller';

/** SCIM discovery: ServiceProviderConfig, Schemas, ResourceTypes. */
@Module({ controllers: [ServiceProviderController] })
export class ServiceProviderModule {}
