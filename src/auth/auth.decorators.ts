import { SetMetadata } from '@nestjs/common';
import type { ApiRole } from './api-key.entity';

/**
 * Every route needs a key unless marked @Public() (only /health). Routes that change or delete
 * things, or act on the network, are @Roles('admin'); reading needs any valid key.
 */
export const IS_PUBLIC = 'netwarden:public';
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC, true);

export const ROLES = 'netwarden:roles';
export const Roles = (...roles: ApiRole[]): MethodDecorator & ClassDecorator => SetMetadata(ROLES, roles);
