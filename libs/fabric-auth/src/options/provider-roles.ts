import type { ResolvedFabricAuthOptions } from './fabric-auth.options.js';

/** A role named by a provider's config, with the YAML path that names it. */
export interface ProviderRoleReference {
  path: string;
  role: string;
}

/** Every role that `default_roles` and `role_mapping` of the providers may grant. */
export function providerRoleReferences(providers: ResolvedFabricAuthOptions['providers']): ProviderRoleReference[] {
  const references: ProviderRoleReference[] = [];
  for (const [name, provider] of Object.entries(providers)) {
    for (const role of provider.defaultRoles) references.push({ path: `auth.providers.${name}.default_roles`, role });
    for (const [value, roles] of Object.entries(provider.roleMapping)) {
      for (const role of roles) references.push({ path: `auth.providers.${name}.role_mapping.${value}`, role });
    }
  }
  return references;
}
