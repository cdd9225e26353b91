import { Injectable } from '@nestjs/common';
import { CompactSign } from 'jose';
import { ExportManifestSigner } from './audit-export';
import { AuditKeysService, SEALING_ALG } from './audit-keys.service';

/** The JWS `typ` of a signed export manifest, apart from a seal's. */
export const EXPORT_MANIFEST_JWS_TYPE = 'audit-export-manifest+jws';

/**
 * Signs an export's manifest with the current sealing key (Ed25519), so an export can be
 * checked offline against the same JWKS as the seals (`/AuditRecords/.sealing-keys`): a
 * compact JWS whose payload is the manifest without its `signature`.
 */
@Injectable()
export class SealingKeyManifestSigner implements ExportManifestSigner {
  constructor(private readonly keys: AuditKeysService) {}

  async sign(_tenant: string, payload: string): Promise<string> {
    const key = this.keys.currentSealingKey();
    return new CompactSign(Buffer.from(payload))
      .setProtectedHeader({ alg: SEALING_ALG, kid: key.kid, typ: EXPORT_MANIFEST_JWS_TYPE })
      .sign(key.privateKey);
  }
}
