import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { secretSubkey } from '../config/secret-subkey';

/** Every generated key starts with this, so leaked keys are recognisable (secret scanners). */
export const KEY_PREFIX = 'nwk_';
/** How much of a key is kept in clear (api_keys.prefix) to tell keys apart in listings. */
const SHOWN_CHARS = KEY_PREFIX.length + 6;

/** SHA-256 hex of a key: keys are long and random, so a slow password hash would add nothing. */
export function hashKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** Constant-time equality of two SHA-256 hex digests (both always 64 characters). */
export function sameHash(a: string, b: string): boolean {
  const ba = Buffer.from(a, 'hex');
  const bb = Buffer.from(b, 'hex');
  return ba.length === 32 && bb.length === 32 && timingSafeEqual(ba, bb);
}

/** A new key: 32 random bytes, base64url, with the nwk_ prefix. */
export function generateKey(): string {
  return KEY_PREFIX + randomBytes(32).toString('base64url');
}

/** The part of a key shown in listings; never enough to guess the rest. */
export function shownPrefix(key: string): string {
  return key.slice(0, SHOWN_CHARS);
}

/**
 * The JWT signing key, derived from SECRET_KEY with HKDF so the raw secret (which also encrypts
 * state at rest) is never used directly as an HMAC key, and other uses get independent keys.
 */
export function jwtSigningKey(secretKey: string): Buffer {
  return secretSubkey(secretKey, 'netwarden jwt hs256 v1');
}
