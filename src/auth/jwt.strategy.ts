import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { SETTINGS } from '../config/settings.module';
import type { Settings } from '../config/settings';
import { isUuid } from '../http/query-params';
import { ApiKeysService } from './api-keys.service';
import { JWT_AUDIENCE, JWT_ISSUER, type TokenClaims } from './token.service';
import { jwtSigningKey } from './key-material';
import type { Principal } from './principal';

/**
 * `Authorization: Bearer <jwt>` (passport strategy 'jwt'): HS256 only, our issuer and audience,
 * not expired — and the key it was issued for still active, so revoking a key ends its tokens.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    @Inject(SETTINGS) settings: Settings,
    private readonly keys: ApiKeysService,
  ) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      secretOrKey: jwtSigningKey(settings.secretKey),
      algorithms: ['HS256'],
      issuer: JWT_ISSUER,
      audience: JWT_AUDIENCE,
      ignoreExpiration: false,
    });
  }

  async validate(claims: TokenClaims): Promise<Principal | false> {
    if (typeof claims.sub !== 'string' || !isUuid(claims.sub)) return false;
    const key = await this.keys.activeKeyById(claims.sub);
    return key ? { keyId: key.id, role: key.role, via: 'jwt' } : false;
  }
}
