/** `auth.scim`: the SCIM 2.0 provisioning server's options (SPEC §17). */

import { Field } from './option-field.js';
import { bool, roleMapping } from './option-rules.js';

/** @publicApi */
export class ScimOptions {
  /** Mount the SCIM feature (`<prefix>/scim/v2`, and the routes managing SCIM tokens). Default false. */
  @Field('enabled', 'bool', bool)
  enabled?: boolean = false;

  /**
   * SCIM group display name → roles its members get: org roles of the token's organization, or
   * platform roles when organizations are off. A group named here when it is created keeps its
   * roles after a rename (the mapping is copied onto the group); an unmapped group grants nothing.
   * Default none.
   */
  @Field('role_mapping', 'mapping', roleMapping)
  roleMapping?: Record<string, string[]> = {};
}

export type ResolvedScimOptions = Required<ScimOptions>;
