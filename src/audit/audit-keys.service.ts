import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { JWK, calculateJwkThumbprint, exportJWK } from 'jose';
import {
  KeyObject,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
} from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { StartupError } from '../common/startup-error';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { DATABASE_URL } from '../database/database-url.module';
import { parseRecordKeys, RecordKey } from './record-integrity';

/** A sealing key: the private half signs, the public half is published (JWKS). */
export interface SealingKey {
  kid: string;
  privateKey: KeyObject;
  publicJwk: JWK;
}

export const SEALING_ALG = 'EdDSA';
const RECORD_KEYS_FILE = 'audit-record.keys';
const SEALING_KEY_FILE = 'audit-sealing.pem';

/**
 * The trail's two keys, neither ever stored in the database (docs/audit-integrity.md): the
 * record key (HMAC, with an id so it can rotate; the first is current, the others only
 * verify) and the sealing key (Ed25519; the first signs, every one is published). Each comes
 * from its variable or its file; outside production a missing one is generated once and
 * kept beside the data folder. Loaded after the database's URL is known, so the data
 * folder's own start-up checks speak first.
 */
@Injectable()
export class AuditKeysService implements OnModuleInit {
  private readonly logger = new Logger(AuditKeysService.name);
  private record: RecordKey[] = [];
  private sealing: SealingKey[] = [];

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    // Only for the order: the embedded data folder is checked and started before this.
    @Inject(DATABASE_URL) _databaseUrl: string,
  ) {}

  async onModuleInit(): Promise<void> {
    const c = this.config.auditIntegrity;
    const recordText =
      c.recordKeys ??
      (c.recordKeysFile
        ? await this.readKeyFile(c.recordKeysFile, 'AUDIT_RECORD_KEYS_FILE')
        : await this.generated(RECORD_KEYS_FILE, () => `k1:${randomBytes(32).toString('base64')}`));
    const record = parseRecordKeys(recordText);
    if (!record) {
      throw new StartupError(
        'The audit record keys are not id:base64secret[,id:base64secret...] with secrets of 16 bytes or more: fix AUDIT_RECORD_KEYS or its file.',
      );
    }
    this.record = record;
    const sealingText =
      c.sealingKeyPem ??
      (c.sealingKeyFile
        ? await this.readKeyFile(c.sealingKeyFile, 'AUDIT_SEALING_KEY_FILE')
        : await this.generated(SEALING_KEY_FILE, () =>
            generateKeyPairSync('ed25519')
              .privateKey.export({ type: 'pkcs8', format: 'pem' })
              .toString(),
          ));
    this.sealing = await readSealingKeys(sealingText);
  }

  /** The key new records are MACed with. */
  currentRecordKey(): RecordKey {
    return this.record[0];
  }

  /** Every record key by id: the current one and those kept to verify older records. */
  recordKeyMap(): Map<string, RecordKey> {
    return new Map(this.record.map((k) => [k.id, k]));
  }

  currentSealingKey(): SealingKey {
    return this.sealing[0];
  }

  /** Every sealing key's public half, as a JWKS: what an offline verifier needs. */
  publicJwks(): { keys: JWK[] } {
    return { keys: this.sealing.map((k) => k.publicJwk) };
  }

  private async readKeyFile(path: string, variable: string): Promise<string> {
    try {
      return await readFile(path, 'utf8');
    } catch {
      throw new StartupError(
        `${variable} (${path}) cannot be read: fix the path or its permissions.`,
      );
    }
  }

  /** A key kept beside the data folder, made on first use (never in production: config requires one). */
  private async generated(name: string, make: () => string): Promise<string> {
    const dir = this.config.localSecretsDir;
    const path = join(dir, name);
    await mkdir(dir, { recursive: true });
    try {
      await writeFile(path, `${make()}\n`, { mode: 0o600, flag: 'wx' });
      this.logger.log(`Generated an audit key in ${path}; set its variable to choose one`);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    return readFile(path, 'utf8');
  }
}

/** One or more PKCS#8 PEM Ed25519 keys, the first current. */
export async function readSealingKeys(text: string): Promise<SealingKey[]> {
  const pems = text.match(/-----BEGIN PRIVATE KEY-----[\s\S]*?-----END PRIVATE KEY-----/g) ?? [];
  const keys: SealingKey[] = [];
  for (const pem of pems) {
    const privateKey = readPrivateKey(pem);
    if (privateKey?.asymmetricKeyType !== 'ed25519') break;
    const publicJwk = await exportJWK(createPublicKey(privateKey));
    const kid = await calculateJwkThumbprint(publicJwk);
    keys.push({ kid, privateKey, publicJwk: { ...publicJwk, kid, alg: SEALING_ALG, use: 'sig' } });
  }
  if (keys.length === 0 || keys.length !== pems.length) {
    throw new StartupError(
      'The audit sealing key is not a PKCS#8 PEM Ed25519 private key: fix AUDIT_SEALING_KEY or its file.',
    );
  }
  return keys;
}

function readPrivateKey(pem: string): KeyObject | undefined {
  try {
    return createPrivateKey(pem);
  } catch {
    return undefined;
  }
}
