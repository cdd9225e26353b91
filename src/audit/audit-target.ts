/** Who a record is about (`targetUserId`): a user, or a client by its service account. */
export interface AuditTarget {
  id?: string;
  immutableId?: string;
}

/**
 * The one way to name a record's target: `id` is the name people search for (a userName,
 * or a client_id), `immutableId` the uuid that survives a rename (the user's, or the
 * client's service account's).
 */
export function auditTarget(id: string, immutableId?: string | null): AuditTarget {
  return { id, immutableId: immutableId ?? undefined };
}
