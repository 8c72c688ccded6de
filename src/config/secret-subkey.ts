import { hkdfSync } from 'node:crypto';

/**
 * SECRET_KEY is never used directly: each use (JWT signing, capture state encryption, …) gets its
 * own 32-byte key from HKDF-SHA256 with a purpose label, so the keys are independent and a new use
 * cannot weaken an old one. Changing a label changes that key (existing tokens or sealed state
 * stop opening), so labels carry a version.
 */
export function secretSubkey(secretKey: string, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secretKey, 'netwarden', purpose, 32));
}
