import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { HeaderAPIKeyStrategy } from 'passport-headerapikey';
import { ApiKeysService } from './api-keys.service';
import type { Principal } from './principal';

/** `X-API-Key: <key>` → the key's principal (passport strategy 'api-key'). */
@Injectable()
export class ApiKeyStrategy extends PassportStrategy(HeaderAPIKeyStrategy, 'api-key') {
  constructor(private readonly keys: ApiKeysService) {
    super({ header: 'X-API-Key', prefix: '' }, false);
  }

  async validate(presented: string): Promise<Principal | false> {
    const key = await this.keys.verifyKey(presented);
    return key ? { keyId: key.id, role: key.role, via: 'api-key' } : false;
  }
}
