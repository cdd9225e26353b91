import { CreateCoreSchema1763800000000 } from './1763800000000-CreateCoreSchema';
import { CreateDevicesAndOrganizations1763800000001 } from './1763800000001-CreateDevicesAndOrganizations';
import { CreateAuditSearchIndexes1763800000020 } from './1763800000020-CreateAuditSearchIndexes';
import { CreateImportJobs1763800000030 } from './1763800000030-CreateImportJobs';
import { CreateCibaRequests1763800000040 } from './1763800000040-CreateCibaRequests';
import { DropCibaRequestOrigin1763800000050 } from './1763800000050-DropCibaRequestOrigin';
import { AddImportFailureReason1764800000300 } from './1764800000300-AddImportFailureReason';
import { AllowUnassignedUserActive1764800000550 } from './1764800000550-AllowUnassignedUserActive';
import { SealAuditTrail1765000000100 } from './1765000000100-SealAuditTrail';
import { AddAuditChangesClientTrace1765000000400 } from './1765000000400-AddAuditChangesClientTrace';
import { GrantDevicesWriteToAdmins1765000000500 } from './1765000000500-GrantDevicesWriteToAdmins';
import { CreateLogStreams1765000000700 } from './1765000000700-CreateLogStreams';
import { LeadKeysWithTenant1765000000800 } from './1765000000800-LeadKeysWithTenant';
import { AddAuditSealingLag1765000000900 } from './1765000000900-AddAuditSealingLag';
import { LeadSealsAndStreamsWithTenant1765000000950 } from './1765000000950-LeadSealsAndStreamsWithTenant';
import { PartitionAuditRecords1765000001000 } from './1765000001000-PartitionAuditRecords';
import { AddAuditRetention1765000001001 } from './1765000001001-AddAuditRetention';

/** Every migration, in order. Add new ones at the end; never edit one that has landed. */
export const migrations = [
  CreateCoreSchema1763800000000,
  CreateDevicesAndOrganizations1763800000001,
  CreateAuditSearchIndexes1763800000020,
  CreateImportJobs1763800000030,
  CreateCibaRequests1763800000040,
  DropCibaRequestOrigin1763800000050,
  AddImportFailureReason1764800000300,
  AllowUnassignedUserActive1764800000550,
  SealAuditTrail1765000000100,
  AddAuditChangesClientTrace1765000000400,
  GrantDevicesWriteToAdmins1765000000500,
  CreateLogStreams1765000000700,
  LeadKeysWithTenant1765000000800,
  AddAuditSealingLag1765000000900,
  LeadSealsAndStreamsWithTenant1765000000950,
  PartitionAuditRecords1765000001000,
  AddAuditRetention1765000001001,
];
