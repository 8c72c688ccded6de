import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { secretSubkey } from '../config/secret-subkey';
import { gunzipSync, gzipSync } from 'node:zlib';

/**
 * Seals a capture's carried state (pipeline + summary snapshots) for the `captures.state`
 * column: JSON → gzip → AES-256-GCM. Snapshots hold reassembled cleartext (passwords, cookies),
 * so they are never stored in clear. The key is derived from SECRET_KEY with HKDF-SHA256 (the
 * raw secret is never used as a key, and signing JWTs with it stays a separate use); the
 * capture id is bound as associated data, so one capture's state cannot be replayed into another.
 *
 * Layout: version (1 byte) | IV (12 random bytes) | GCM tag (16) | ciphertext.
 */
const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEADER = 1 + IV_BYTES + TAG_BYTES;

export class StateCipherError extends Error {}

export class StateCipher {
  private readonly key: Buffer;

  constructor(secretKey: string) {
    if (!secretKey) throw new StateCipherError('a secret key is required to seal capture state');
    this.key = secretSubkey(secretKey, 'capture-state v1');
  }

  seal(captureId: string, value: unknown): Buffer {
    const plain = gzipSync(Buffer.from(JSON.stringify(value), 'utf8'), { level: 1 });
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(captureId, 'utf8'));
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    return Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), body]);
  }

  /** Throws StateCipherError for a wrong key, another capture's state, or any tampering. */
  open(captureId: string, sealed: Buffer): unknown {
    if (sealed.length < HEADER || sealed[0] !== VERSION)
      throw new StateCipherError('capture state has an unknown format');
    const iv = sealed.subarray(1, 1 + IV_BYTES);
    const tag = sealed.subarray(1 + IV_BYTES, HEADER);
    const decipher = createDecipheriv('aes-256-gcm', this.key, iv);
    decipher.setAAD(Buffer.from(captureId, 'utf8'));
    decipher.setAuthTag(tag);
    let plain: Buffer;
    try {
      plain = Buffer.concat([decipher.update(sealed.subarray(HEADER)), decipher.final()]);
    } catch {
      throw new StateCipherError('capture state cannot be decrypted (wrong SECRET_KEY or altered data)');
    }
    return JSON.parse(gunzipSync(plain).toString('utf8')) as unknown;
  }
}
