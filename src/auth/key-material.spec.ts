import { createHash, createHmac } from 'node:crypto';
import { generateKey, hashKey, jwtSigningKey, sameHash, shownPrefix } from './key-material';

describe('key material', () => {
  it('hashKey is SHA-256 hex of the UTF-8 key', () => {
    expect(hashKey('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(hashKey('ключ')).toBe(createHash('sha256').update(Buffer.from('ключ', 'utf8')).digest('hex'));
  });

  it('sameHash: equal digests only; malformed ones never match (no throw on length)', () => {
    const h = hashKey('k');
    expect(sameHash(h, hashKey('k'))).toBe(true);
    expect(sameHash(h, hashKey('K'))).toBe(false);
    expect(sameHash(h, h.slice(0, 62))).toBe(false);
    expect(sameHash('zz', 'zz')).toBe(false);
  });

  it('generateKey: nwk_ + 32 random bytes base64url, all different; prefix shows 6 characters after nwk_', () => {
    const keys = new Set(Array.from({ length: 200 }, () => generateKey()));
    expect(keys.size).toBe(200);
    for (const k of keys) {
      expect(k).toMatch(/^nwk_[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(k.slice(4), 'base64url')).toHaveLength(32);
    }
    expect(shownPrefix('nwk_abcdefghijk')).toBe('nwk_abcdef');
  });

  it('jwtSigningKey: 32 bytes, deterministic per secret, not the raw secret nor a plain hash of it', () => {
    const secret = 'a-secret-key-of-at-least-32-characters';
    const k = jwtSigningKey(secret);
    expect(k).toHaveLength(32);
    expect(k.equals(jwtSigningKey(secret))).toBe(true);
    expect(k.equals(jwtSigningKey(`${secret}!`))).toBe(false);
    expect(k.toString('utf8')).not.toContain(secret.slice(0, 8));
    expect(k.equals(createHash('sha256').update(secret).digest())).toBe(false);
    // RFC 5869 extract+expand with salt "netwarden", info "netwarden jwt hs256 v1", one block.
    const prk = createHmac('sha256', 'netwarden').update(secret).digest();
    const okm = createHmac('sha256', prk)
      .update(Buffer.concat([Buffer.from('netwarden jwt hs256 v1'), Buffer.from([1])]))
      .digest();
    expect(k.equals(okm)).toBe(true);
  });
});
