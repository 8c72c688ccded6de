import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { controllerRoutes } from './controller-routes';
import { ROUTE_ACCESS } from './route-access';

/**
 * The API does not start with a route whose access is not declared in ROUTE_ACCESS: a route
 * added without a decision would otherwise only be refused at its first request.
 */
@Injectable()
export class RouteAccessCheck implements OnApplicationBootstrap {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
  ) {}

  onApplicationBootstrap(): void {
    const undeclared = controllerRoutes(this.discovery, this.scanner).filter((r) => !Object.hasOwn(ROUTE_ACCESS, r));
    if (undeclared.length) {
      throw new Error(
        `routes without a declared access (add them to src/auth/route-access.ts): ${undeclared.join(', ')}`,
      );
    }
  }
}
