import { Global, Module } from '@nestjs/common';
import { SearchDatabase } from './search-database';
import { SearchService } from './search.service';

/** SCIM search machinery shared by every searchable resource (AuditRecords, Users, Events). */
@Global()
@Module({
  providers: [SearchDatabase, SearchService],
  exports: [SearchDatabase, SearchService],
})
export class SearchModule {}
