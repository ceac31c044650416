import { Injectable } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { FABRIC_PERMISSIONS_KEY } from '../../core/fabric-auth.constants.js';
import { FabricConfigError } from '../../options/fabric-config.error.js';
import { PermissionRegistry } from '../permissions/permission-registry.js';

/**
 * Startup check: every permission a route names in `@RequirePermission()` is declared or
 * built in. A misspelt one would otherwise lock everyone but the system admin out of the
 * route, silently; here it stops startup with the route and the name. It runs in the
 * constructor (controllers are all known once modules are scanned) so that the refusal happens
 * inside `NestFactory.create`, where Nest prints it as one block, rather than in `listen()`,
 * whose rejection a host app may leave unhandled.
 */
@Injectable()
export class RoutePermissionsCheck {
  constructor(discovery: DiscoveryService, scanner: MetadataScanner, reflector: Reflector, registry: PermissionRegistry) {
    this.check(discovery, scanner, reflector, registry);
  }

  private check(discovery: DiscoveryService, scanner: MetadataScanner, reflector: Reflector, registry: PermissionRegistry): void {
    const problems = new Set<string>();
    for (const wrapper of discovery.getControllers()) {
      const controller = wrapper.metatype as (abstract new (...args: never[]) => object) | undefined;
      if (!controller) continue;
      const report = (where: string, permissions: string[] | undefined) => {
        for (const permission of registry.unknown(permissions ?? [])) {
          problems.add(
            `${where}: @RequirePermission("${permission}") names a permission that is not registered (register it in code with appPermissions of FabricAuthModule.forRoot/forRootAsync, or in auth.permissions)`,
          );
        }
      };
      report(controller.name, reflector.get<string[] | undefined>(FABRIC_PERMISSIONS_KEY, controller));
      for (const method of scanner.getAllMethodNames(controller.prototype)) {
        const handler = (controller.prototype as Record<string, unknown>)[method];
        if (typeof handler === 'function') report(`${controller.name}.${method}`, reflector.get<string[] | undefined>(FABRIC_PERMISSIONS_KEY, handler));
      }
    }
    if (problems.size > 0) throw new FabricConfigError([...problems]);
  }
}
