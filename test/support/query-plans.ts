/** A node of a PostgreSQL plan as `EXPLAIN (FORMAT JSON)` answers it (the fields the tests read). */
export interface PlanNode {
  'Parent Relationship'?: string;
  Plans?: PlanNode[];
}

/** One row of `EXPLAIN (FORMAT JSON)`. */
export interface ExplainRow {
  'QUERY PLAN': { Plan: PlanNode }[];
}

/**
 * A plan's nodes outside its InitPlans and SubPlans: what reads the statement's own rows, apart
 * from a count or the names of each row (ListRequest.attach) riding in the same statement.
 */
export function mainNodes(node: PlanNode): PlanNode {
  return {
    ...node,
    Plans: node.Plans?.filter((p) => p['Parent Relationship'] !== 'InitPlan' && p['Parent Relationship'] !== 'SubPlan').map(mainNodes),
  };
}
