import { Injectable } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { FABRIC_ORG_SCOPED_KEY, FABRIC_PERMISSIONS_KEY } from '../../core/fabric-auth.constants.js';
import { ORG_PERMISSIONS } from '../../options/organizations.options.js';
import { FabricConfigError } from '../../options/fabric-config.error.js';
import { PermissionRegistry } from '../permissions/permission-registry.js';

/**
 * Startup check: every permission a route names in `@RequirePermission()` is declared or
 * built in. A misspelt one would otherwise lock everyone but the system admin out of the
 * route, silently; here it stops startup with the route and the name. It runs in the
 * constructor (controllers are all known once modules are scanned) so that the refusal happens
 * inside `NestFactory.create`, where Nest prints it as one block, rather than in `listen()`,
 * whose rejection a host app may leave unhandled.
 *
 * An `@OrgScoped()` route may also name the organization permissions (`org:members:manage`, …),
 * which org roles grant; anywhere else they could never be held, so they are refused there.
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
      const controllerScoped = reflector.get<boolean | undefined>(FABRIC_ORG_SCOPED_KEY, controller) === true;
      const report = (where: string, permissions: string[] | undefined, orgScoped: boolean) => {
        for (const permission of registry.unknown(permissions ?? [])) {
          if ((ORG_PERMISSIONS as readonly string[]).includes(permission)) {
            if (!orgScoped) problems.add(`${where}: @RequirePermission("${permission}") names an organization permission: the route needs @OrgScoped()`);
            continue;
          }
          problems.add(
            `${where}: @RequirePermission("${permission}") names a permission that is not registered (register it in code with appPermissions of FabricAuthModule.forRoot/forRootAsync, or in auth.permissions)`,
          );
        }
      };
      report(controller.name, reflector.get<string[] | undefined>(FABRIC_PERMISSIONS_KEY, controller), controllerScoped);
      for (const method of scanner.getAllMethodNames(controller.prototype)) {
        const handler = (controller.prototype as Record<string, unknown>)[method];
        if (typeof handler === 'function') {
          const orgScoped = controllerScoped || reflector.get<boolean | undefined>(FABRIC_ORG_SCOPED_KEY, handler) === true;
          report(`${controller.name}.${method}`, reflector.get<string[] | undefined>(FABRIC_PERMISSIONS_KEY, handler), orgScoped);
        }
      }
    }
    if (problems.size > 0) throw new FabricConfigError([...problems]);
  }
}
