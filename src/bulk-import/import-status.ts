import { ImportErrorRow, ImportJobRow } from './import-job-row';
import { ImportKindSpec } from './import-kinds';

/** Where an import's status document lives (the `Location` of its 201). */
export function importPath(spec: ImportKindSpec, tenant: string, coi: string): string {
  return `/${tenant}/v2/${spec.resourcePath}/.import/${coi}`;
}

/** HID's ImportResponse: the 201 body, whose `correlationId` is the import's COI. */
export function toImportResponse(spec: ImportKindSpec, location: string, coi: string) {
  return {
    schemas: [spec.responseSchema],
    meta: { resourceType: spec.resourceType, location, version: '1' },
    correlationId: coi,
  };
}

/** The status document of API.md §8. */
export function toImportStatus(
  spec: ImportKindSpec,
  job: ImportJobRow,
  errors: ImportErrorRow[],
  location: string,
) {
  return {
    schemas: [spec.responseSchema],
    id: job.id,
    status: job.status,
    importSize: job.import_size,
    nbImported: job.nb_imported,
    nbFailed: job.nb_failed,
    ...(job.failure_reason !== null ? { reason: job.failure_reason } : {}),
    errors: errors.map((e) => ({
      index: e.item_index,
      ...(e.key_name !== null && e.key_value !== null ? { [e.key_name]: e.key_value } : {}),
      status: String(e.status),
      ...(e.scim_type !== null ? { scimType: e.scim_type } : {}),
      detail: e.detail,
    })),
    meta: {
      resourceType: spec.resourceType,
      created: job.created.toISOString(),
      lastModified: job.last_modified.toISOString(),
      location,
    },
  };
}
