/**
 * The node kinds a run knows: the built-in ones (a module each under `nodes/`), then those of the plugins in the
 * `FunctionRegistry` (one of a built-in's type replaces it). The loader, validation and the executor look every
 * node's kind up here, and know no kind by name.
 */
import type * as FunctionRegistry from "../FunctionRegistry.ts"
import * as Agent from "../nodes/Agent.ts"
import * as Compute from "../nodes/Compute.ts"
import * as Condition from "../nodes/Condition.ts"
import * as Hitl from "../nodes/Hitl.ts"
import * as Parallel from "../nodes/Parallel.ts"
import * as Team from "../nodes/Team.ts"
import * as Transform from "../nodes/Transform.ts"
import * as Workflow from "../nodes/Workflow.ts"
import type * as NodeKind from "../NodeKind.ts"
import type * as WorkflowDefinition from "../WorkflowDefinition.ts"

/** Node kinds by type, in the order their types are listed. */
export type Kinds = ReadonlyMap<string, NodeKind.Any>

/** The built-in kinds, in the order of `WorkflowDefinition.knownNodeTypes` (and of the `Node` schema's union). */
export const builtin: Kinds = new Map(
  [
    Agent.kind,
    Compute.kind,
    Condition.kind,
    Parallel.kind,
    Transform.kind,
    Hitl.kind,
    Team.kind,
    Workflow.kind
  ].map((kind): readonly [string, NodeKind.Any] => [kind.type, kind])
)

const cache = new WeakMap<FunctionRegistry.FunctionRegistryService, Kinds>()

/** The kinds of a run with this registry: the built-in ones, then its plugins'. */
export const of = (functions: FunctionRegistry.FunctionRegistryService): Kinds => {
  if (functions.nodeKinds.size === 0) return builtin
  let kinds = cache.get(functions)
  if (kinds === undefined) {
    kinds = new Map([...builtin, ...functions.nodeKinds])
    cache.set(functions, kinds)
  }
  return kinds
}

/** The ids of the nodes another node runs as part of itself (a parallel node's children): never run on their own. */
export const childrenOf = (nodes: ReadonlyArray<WorkflowDefinition.NodeBase>, kinds: Kinds): ReadonlySet<string> => {
  const children = new Set<string>()
  for (const node of nodes) {
    const contains = kinds.get(node.type)?.children
    if (contains !== undefined) for (const id of contains.of(node)) children.add(id)
  }
  return children
}
