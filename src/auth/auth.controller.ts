import {
  BadRequestException,
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Post,
  Req,
} from '@nestjs/common';
import type { ApiRole } from './api-key.entity';
import { ApiKeysService, type ApiKeyInfo } from './api-keys.service';
import { unauthorized } from './access.guard';
import { KeyInBody } from './auth.decorators';
import { API_ROLES, isApiRole } from './roles';
import type { AuthenticatedRequest } from './principal';
import { TokenService, type IssuedToken } from './token.service';

const NAME = /^[\p{L}\p{N} ._@:-]{1,64}$/u;

function parseNewKey(body: unknown): { name: string; role: ApiRole } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new BadRequestException('body must be a JSON object {"name": …, "role": "read" | "analyst" | "admin"}');
  }
  const { name, role } = body as { name?: unknown; role?: unknown };
  const problems: string[] = [];
  if (typeof name !== 'string' || !NAME.test(name)) {
    problems.push('name must be 1-64 letters, digits, spaces or . _ @ : -');
  }
  if (!isApiRole(role)) problems.push(`role must be one of ${API_ROLES.join(', ')}`);
  if (problems.length) throw new BadRequestException(problems.join('; '));
  return { name: name as string, role: role as ApiRole };
}

/**
 * POST /auth/token exchanges an API key (X-API-Key or {"apiKey"}) for a JWT; the key routes
 * (admin) create, list and revoke keys. A new key is shown once, in the 201 answer.
 */
@Controller('auth')
export class AuthController {
  constructor(
    private readonly keys: ApiKeysService,
    private readonly tokens: TokenService,
  ) {}

  @Post('token')
  @HttpCode(200)
  @KeyInBody()
  token(@Req() req: AuthenticatedRequest): Promise<IssuedToken> {
    // Only a key buys a token: a JWT renewing itself would outlive its expiry forever.
    if (req.principal?.via !== 'api-key') throw unauthorized();
    return this.tokens.issue(req.principal);
  }

  @Post('keys')
  async create(@Body() body: unknown): Promise<ApiKeyInfo & { key: string }> {
    const { name, role } = parseNewKey(body);
    const { key, info } = await this.keys.create(name, role);
    return { ...info, key };
  }

  @Get('keys')
  async list(): Promise<{ keys: ApiKeyInfo[] }> {
    return { keys: await this.keys.list() };
  }

  @Delete('keys/:id')
  revoke(@Param('id', new ParseUUIDPipe({ version: '4' })) id: string): Promise<ApiKeyInfo> {
    return this.keys.revoke(id);
  }
}
