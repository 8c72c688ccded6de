import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import type { DiscoveryService, MetadataScanner } from '@nestjs/core';

function joinPath(...parts: string[]): string {
  return `/${parts
    .map((s) => s.replace(/^\/+|\/+$/g, ''))
    .filter(Boolean)
    .join('/')}`;
}

/**
 * Every route the Nest controllers declare, as "METHOD /path" (the key of ROUTE_ACCESS), read
 * from their decorators the way the router registers them (no global prefix or versioning here).
 */
export function controllerRoutes(discovery: DiscoveryService, scanner: MetadataScanner): string[] {
  const out: string[] = [];
  for (const wrapper of discovery.getControllers()) {
    const ctrl = wrapper.metatype as (new (...args: never[]) => object) | undefined;
    if (!ctrl) continue;
    const ctrlPaths = [Reflect.getMetadata(PATH_METADATA, ctrl) as string | string[]].flat();
    for (const name of scanner.getAllMethodNames(ctrl.prototype)) {
      const handler = (ctrl.prototype as Record<string, unknown>)[name] as object;
      const methodPath = Reflect.getMetadata(PATH_METADATA, handler) as string | string[] | undefined;
      if (methodPath === undefined) continue;
      const verb = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod];
      for (const cp of ctrlPaths) for (const mp of [methodPath].flat()) out.push(`${verb} ${joinPath(cp ?? '', mp)}`);
    }
  }
  return out;
}
