/**
 * The token under which a feature offers its entry to a list port (`SignOutHooks`,
 * `CredentialChangeHooks`). The core gathers the entries of the enabled features that declare
 * the port, in the feature list's order; a feature never sees the others' entries.
 */
export function hookEntry(port: symbol, feature: string): symbol {
  return Symbol.for(`nestjs-fabric-auth:${port.description}:${feature}`);
}
