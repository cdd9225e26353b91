import { Global, Module } from '@nestjs/common';
import { SearchService } from './search.service';

/** SCIM search machinery shared by every searchable resource (AuditRecords, Users, Events). */
@Global()
@Module({
  providers: [SearchService],
  exports: [SearchService],
})
export class SearchModule {}
