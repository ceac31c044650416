import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { FABRIC_PERMISSIONS_KEY } from '../fabric-auth.constants.js';
import { FabricConfigError } from '../fabric-auth.options.js';
import { PermissionRegistry } from './permission-registry.js';

/**
 * Startup check: every permission a route names in `@RequirePermission()` is declared or
 * built in. A misspelt one would otherwise lock everyone but the system admin out of the
 * route, silently; here it stops startup with the route and the name.
 */
@Injectable()
export class RoutePermissionsCheck implements OnModuleInit {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
    private readonly registry: PermissionRegistry,
  ) {}

  onModuleInit(): void {
    const problems = new Set<string>();
    for (const wrapper of this.discovery.getControllers()) {
      const controller = wrapper.metatype as (abstract new (...args: never[]) => object) | undefined;
      if (!controller) continue;
      const report = (where: string, permissions: string[] | undefined) => {
        for (const permission of this.registry.unknown(permissions ?? [])) {
          problems.add(`${where}: @RequirePermission("${permission}") names a permission that is not registered (declare it in auth.permissions)`);
        }
      };
      report(controller.name, this.reflector.get<string[] | undefined>(FABRIC_PERMISSIONS_KEY, controller));
      for (const method of this.scanner.getAllMethodNames(controller.prototype)) {
        const handler = (controller.prototype as Record<string, unknown>)[method];
        if (typeof handler === 'function') report(`${controller.name}.${method}`, this.reflector.get<string[] | undefined>(FABRIC_PERMISSIONS_KEY, handler));
      }
    }
    if (problems.size > 0) throw new FabricConfigError([...problems]);
  }
}
