import { Module } from '@nestjs/common';
import { SearchRepository } from './search.repository';
import { SearchService } from './search.service';

/** SCIM search machinery shared by every searchable resource (AuditRecords, Users, Events). */
@Module({
  providers: [SearchRepository, SearchService],
  exports: [SearchService],
})
export class SearchModule {}
