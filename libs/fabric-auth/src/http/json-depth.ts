/** Deepest nesting of objects and arrays a JSON body may have (SEC-81); ours need 3. */
export const DEFAULT_MAX_JSON_DEPTH = 32;

/**
 * Whether a parsed value nests objects or arrays deeper than `maxDepth` (a top-level
 * object is depth 1). Iterative and stopping at the first level too deep, so a hostile
 * body cannot overflow the stack here as it would in class-transformer.
 */
export function exceedsJsonDepth(value: unknown, maxDepth: number = DEFAULT_MAX_JSON_DEPTH): boolean {
  return jsonBodyProblem(value, maxDepth, false) !== undefined;
}

/**
 * What the HTTP layer refuses in a parsed JSON body before any handler sees it: nesting
 * deeper than `maxDepth`, and (with `refuseProtoKey`) a `__proto__` key, which merging
 * code would turn into a prototype (Fastify refuses it, Express's parser keeps it).
 */
export function jsonBodyProblem(value: unknown, maxDepth: number, refuseProtoKey = true): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const pending: Array<[object, number]> = [[value, 1]];
  while (pending.length > 0) {
    const [node, depth] = pending.pop()!;
    if (depth > maxDepth) return `body must not be nested deeper than ${maxDepth} levels`;
    if (refuseProtoKey && Object.hasOwn(node, '__proto__')) return 'body must not contain the key __proto__';
    for (const child of Object.values(node)) {
      if (typeof child === 'object' && child !== null) pending.push([child, depth + 1]);
    }
  }
  return undefined;
}
