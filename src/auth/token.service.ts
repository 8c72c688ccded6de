import { Inject, Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { SETTINGS } from '../config/settings.module';
import type { Settings } from '../config/settings';
import type { Principal } from './principal';

export const JWT_ISSUER = 'netwarden';
export const JWT_AUDIENCE = 'netwarden-api';

/** What a netwarden JWT carries: the key id (sub) and its role at issue time. */
export interface TokenClaims {
  sub: string;
  role: string;
}

export interface IssuedToken {
  accessToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
}

/** Issues bearer tokens for an API key (POST /auth/token); JwtModule holds the HKDF-derived key. */
@Injectable()
export class TokenService {
  constructor(
    private readonly jwt: JwtService,
    @Inject(SETTINGS) private readonly settings: Settings,
  ) {}

  async issue(p: Principal): Promise<IssuedToken> {
    const claims: TokenClaims = { sub: p.keyId, role: p.role };
    const accessToken = await this.jwt.signAsync(claims, {
      algorithm: 'HS256',
      expiresIn: this.settings.jwtTtlSeconds,
      issuer: JWT_ISSUER,
      audience: JWT_AUDIENCE,
    });
    return { accessToken, tokenType: 'Bearer', expiresIn: this.settings.jwtTtlSeconds };
  }
}
