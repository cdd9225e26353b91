import { Injectable } from '@nestjs/common';
import { SignJWT } from 'jose';
import { AccessTokenService } from '../auth/access-token.service';
import { SIGNING_ALG, SigningKeysService } from '../auth/signing-keys.service';
import { AuditRecordJsonRow, AuditRecordResource } from '../audit/audit-record';

/** The event type of every SET we issue: its payload is one AuditRecord resource. */
export const AUDIT_EVENT_URI = 'urn:hid:scim:api:idp:2.0:event:AuditRecord';

/**
 * Audit records as Security Event Tokens (RFC 8417), signed with the tenant's key so a
 * receiver can check them against the tenant's JWKS: `jti` is the record id, `txn` its COI,
 * `toe` the time it was written. The `secevent+jwt` type keeps a SET from ever passing as an
 * access token (RFC 8417 §2.3, RFC 9068).
 */
@Injectable()
export class AuditEventTokensService {
  constructor(
    private readonly keys: SigningKeysService,
    private readonly tokens: AccessTokenService,
  ) {}

  async sign(tenant: string, rows: AuditRecordJsonRow[]): Promise<string[]> {
    const key = await this.keys.signingKey(tenant);
    const issuedAt = Math.floor(Date.now() / 1000);
    return Promise.all(
      rows.map((row) => {
        const record = JSON.parse(row.resource) as AuditRecordResource;
        const claims: Record<string, unknown> = {
          toe: Math.floor(Date.parse(record.created) / 1000),
          events: { [AUDIT_EVENT_URI]: record },
        };
        if (record.coi !== undefined) claims.txn = record.coi;
        return new SignJWT(claims)
          .setProtectedHeader({ alg: SIGNING_ALG, typ: 'secevent+jwt', kid: key.kid })
          .setIssuer(this.tokens.issuer(tenant))
          .setIssuedAt(issuedAt)
          .setJti(row.id)
          .sign(key.privateKey);
      }),
    );
  }
}
