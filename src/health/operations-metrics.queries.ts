/** Unsealed records of every tenant and the age of the oldest (migration 1765000000900). */
export const SEALING_LAG = 'SELECT records, oldest_seconds FROM audit_sealing_lag()';
