/**
 * Workflow definitions: the Schema of a Victor-style workflow as written in YAML (snake_case keys), and the resolved
 * `WorkflowDefinition` the executor runs. `WorkflowLoader` turns a file into one; building a definition in code goes
 * through `make`, which applies the same defaults.
 *
 * The built-in node kinds are `agent`, `compute`, `condition`, `hitl`, `parallel`, `team`, `transform` and `workflow`
 * (a sub-workflow); how each is checked and run lives in its module under `nodes/` (see `NodeKind`), and plugins may
 * add kinds of their own. `$ref` includes are rejected by the loader by name, never skipped; `stage:` / `overrides:`
 * includes are resolved by the loader before decoding (see `StageTemplate`).
 */
import * as Schema from "effect/Schema"
import { JsonObject } from "@victor/core/Json"
import * as NodeFields from "./NodeFields.ts"
import { AgentNode, allowedTools } from "./nodes/Agent.ts"
import { ComputeNode } from "./nodes/Compute.ts"
import { ConditionNode } from "./nodes/Condition.ts"
import { HitlNode } from "./nodes/Hitl.ts"
import { ParallelNode } from "./nodes/Parallel.ts"
import { TeamNode } from "./nodes/Team.ts"
import { TransformNode } from "./nodes/Transform.ts"
import { WorkflowNode } from "./nodes/Workflow.ts"

// Each built-in kind's node schema lives in its module under `nodes/`; they are all here too, as they always were.
export { blockableResources, Constraints } from "./NodeFields.ts"
export { type NodeBase, outputKey } from "./NodeKind.ts"
export { AgentNode, allowedTools, defaultToolBudget } from "./nodes/Agent.ts"
export { ComputeNode } from "./nodes/Compute.ts"
export { ConditionNode } from "./nodes/Condition.ts"
export { defaultHitlTimeout, HitlFallback, HitlNode, HitlType } from "./nodes/Hitl.ts"
export { JoinStrategy, ParallelNode } from "./nodes/Parallel.ts"
export { TeamFormation, TeamMember, TeamNode, teamMembers } from "./nodes/Team.ts"
export { namedTransform, TransformNode } from "./nodes/Transform.ts"
export { WorkflowNode } from "./nodes/Workflow.ts"

/** Every node type Victor's YAML knows (plugins may add more: see `NodeKind`). */
export const knownNodeTypes = [
  "agent",
  "compute",
  "condition",
  "parallel",
  "transform",
  "hitl",
  "team",
  "workflow"
] as const

/** The node types this package executes without plugins. */
export const supportedNodeTypes = [
  "agent",
  "compute",
  "condition",
  "parallel",
  "transform",
  "hitl",
  "team",
  "workflow"
] as const

/** The node type a node without `type:` has (Victor's default). */
export const defaultNodeType = "agent"

/** Any executable node. */
export const Node = Schema.Union(
  AgentNode,
  ComputeNode,
  ConditionNode,
  ParallelNode,
  TransformNode,
  HitlNode,
  TeamNode,
  WorkflowNode
)

/**
 * The nodes a definition may hold, by type. A plugin that adds a node kind may declare its node here (TypeScript's
 * declaration merging), so that `Node` includes it and `node.type === "delay"` narrows to it:
 * `declare module "@victor/workflow/WorkflowDefinition" { interface NodeTypes { delay: DelayNode } }`.
 */
export interface NodeTypes {
  readonly agent: AgentNode
  readonly compute: ComputeNode
  readonly condition: ConditionNode
  readonly parallel: ParallelNode
  readonly transform: TransformNode
  readonly hitl: HitlNode
  readonly team: TeamNode
  readonly workflow: WorkflowNode
}

/** Any node of a definition: a built-in one, or one of the kinds declared in `NodeTypes`. */
export type Node = NodeTypes[keyof NodeTypes]

/**
 * Fields Victor's files write on a workflow that this package accepts besides the core ones (an agent node's are in
 * `nodes/Agent`):
 *
 * | field                          | meaning here                                                         |
 * | ------------------------------ | -------------------------------------------------------------------- |
 * | `services`                     | carried in the workflow's trace metadata (`services`)                |
 * | `batch_config`                 | carried in the workflow's trace metadata (`batch_config`)            |
 * | `error_handling`               | carried in the workflow's trace metadata (`error_handling`)          |
 * | `temporal_context`             | carried in the workflow's trace metadata (`temporal_context`), as    |
 * |                                | Victor stores it in the workflow's metadata                          |
 * | `mcp_servers`                  | kept raw as `WorkflowDefinition.mcpServers` (for MCP tool servers)   |
 *
 * Any other field is still an "unknown field ... is ignored" warning.
 */
const settingsFields = {
  timeout: Schema.optional(NodeFields.Seconds),
  defaultNodeTimeout: Schema.optional(NodeFields.Seconds).pipe(Schema.fromKey("default_node_timeout")),
  maxIterations: Schema.optional(
    Schema.Int.pipe(Schema.positive({ message: () => "must be a positive whole number" }))
  ).pipe(Schema.fromKey("max_iterations")),
  maxRetries: Schema.optional(
    Schema.Int.pipe(Schema.nonNegative({ message: () => "must be zero or a positive whole number" }))
  ).pipe(Schema.fromKey("max_retries"))
}

/** Workflow settings as written, at the top of a workflow or under `execution:`. */
export const ExecutionSpec = Schema.Struct(settingsFields).annotations({ identifier: "ExecutionSpec" })

/** The schema of one workflow as written, whose nodes are decoded by `node` (the built-in kinds and a plugin's). */
export const makeWorkflowSpec = <A, I>(node: Schema.Schema<A, I>) =>
  Schema.Struct({
    name: Schema.optional(Schema.String),
    description: Schema.optionalWith(Schema.String, { default: () => "" }),
    metadata: Schema.optionalWith(JsonObject, { default: () => ({}) }),
    startNode: Schema.optional(NodeFields.NodeId).pipe(Schema.fromKey("start_node")),
    ...settingsFields,
    execution: Schema.optional(ExecutionSpec),
    services: Schema.optional(Schema.Unknown),
    batchConfig: Schema.optional(Schema.Unknown).pipe(Schema.fromKey("batch_config")),
    errorHandling: Schema.optional(Schema.Unknown).pipe(Schema.fromKey("error_handling")),
    temporalContext: Schema.optional(Schema.Unknown).pipe(Schema.fromKey("temporal_context")),
    mcpServers: Schema.optional(Schema.Unknown).pipe(Schema.fromKey("mcp_servers")),
    nodes: Schema.Array(node).pipe(Schema.minItems(1, { message: () => "must be a non-empty list of nodes" }))
  }).annotations({ identifier: "WorkflowSpec" })

/** One workflow as written in YAML, with nodes of the built-in kinds. */
export const WorkflowSpec = makeWorkflowSpec(Node)

/** One workflow as written in YAML (decoded). */
export interface WorkflowSpec extends Omit<Schema.Schema.Type<typeof WorkflowSpec>, "nodes"> {
  readonly nodes: ReadonlyArray<Node>
}

/** The resolved settings of a run. */
export interface Settings {
  /** Whole-run limit in seconds. */
  readonly timeout: number | undefined
  /** Limit in seconds for nodes without their own `timeout`. */
  readonly defaultNodeTimeout: number | undefined
  /** Most node visits in one run (loops count every visit). */
  readonly maxIterations: number
  /** How many times a failed node is run again before the run fails. */
  readonly maxRetries: number
}

/** A 1-based line and column in a workflow file. */
export interface Position {
  readonly line: number
  readonly column: number
}

/** Where a definition came from, for messages that point into the file. */
export interface Source {
  readonly path: string
  /** The line of each node's entry, by node id. */
  readonly nodeLines: Readonly<Record<string, number>>
  /** Where each node's entry and each of its fields (by their YAML key) start, by node id. */
  readonly nodePositions?: Readonly<Record<string, { readonly node: Position; readonly fields: Readonly<Record<string, Position>> }>>
}

/** A workflow ready to run. */
export interface WorkflowDefinition {
  readonly name: string
  readonly description: string
  readonly metadata: JsonObject
  /** The first node to run: `start_node`, or the first node of the list that is not a parallel node's child. */
  readonly startNode: string
  readonly settings: Settings
  readonly nodes: ReadonlyArray<Node>
  /** Things that load but are probably not what the author meant (e.g. `next` with several targets). */
  readonly warnings: ReadonlyArray<string>
  readonly source?: Source
  /** The workflows its `workflow` nodes run, by node id (resolved by the loader). */
  readonly subWorkflows?: Readonly<Record<string, WorkflowDefinition>>
  /** `mcp_servers:` as written (not interpreted here). */
  readonly mcpServers?: unknown
}

/** The default of `max_iterations`. */
export const defaultMaxIterations = 25

/** Resolves a decoded spec: settings under `execution:` win over the same settings at the top level. */
export const make = (
  name: string,
  spec: WorkflowSpec,
  extra: {
    readonly warnings?: ReadonlyArray<string>
    readonly source?: Source
    readonly subWorkflows?: Readonly<Record<string, WorkflowDefinition>>
    /** The nodes that run only as part of another (default: `parallelChildren`), which the default start skips. */
    readonly children?: ReadonlySet<string>
  } = {}
): WorkflowDefinition => ({
  name,
  description: spec.description,
  metadata: carriedMetadata(spec),
  startNode: spec.startNode ?? firstRunnable(spec.nodes, extra.children) ?? "",
  settings: {
    timeout: spec.execution?.timeout ?? spec.timeout,
    defaultNodeTimeout: spec.execution?.defaultNodeTimeout ?? spec.defaultNodeTimeout,
    maxIterations: spec.execution?.maxIterations ?? spec.maxIterations ?? defaultMaxIterations,
    maxRetries: spec.execution?.maxRetries ?? spec.maxRetries ?? 0
  },
  nodes: spec.nodes.some(needsNormalizing) ? spec.nodes.map(normalize) : spec.nodes,
  warnings: extra.warnings ?? [],
  ...(spec.mcpServers === undefined ? {} : { mcpServers: spec.mcpServers }),
  ...(extra.source === undefined ? {} : { source: extra.source }),
  ...(extra.subWorkflows === undefined ? {} : { subWorkflows: extra.subWorkflows })
})

/** The workflow's `metadata`, plus the workflow fields that are only carried into the trace (see the table above). */
const carriedMetadata = (spec: WorkflowSpec): JsonObject =>
  spec.services === undefined && spec.batchConfig === undefined && spec.errorHandling === undefined &&
    spec.temporalContext === undefined
    ? spec.metadata
    : {
      ...spec.metadata,
      ...(spec.services === undefined ? {} : { services: spec.services }),
      ...(spec.batchConfig === undefined ? {} : { batch_config: spec.batchConfig }),
      ...(spec.errorHandling === undefined ? {} : { error_handling: spec.errorHandling }),
      ...(spec.temporalContext === undefined ? {} : { temporal_context: spec.temporalContext })
    }

const needsNormalizing = (node: Node): boolean =>
  (node.type === "agent" && node.allowedTools !== undefined) ||
  (node.type === "team" &&
    ((node.outputKey !== undefined && node.output === undefined) ||
      (node.timeoutSeconds !== undefined && node.timeout === undefined)))

/** Victor's spellings resolved: an agent's `allowed_tools`, a team's `output_key` and `timeout_seconds`. */
const normalize = (node: Node): Node => {
  if (node.type === "agent" && node.allowedTools !== undefined) {
    return { ...node, tools: allowedTools(node.tools, node.allowedTools) }
  }
  if (node.type === "team" && needsNormalizing(node)) {
    const output = node.output ?? node.outputKey
    const timeout = node.timeout ?? node.timeoutSeconds
    return { ...node, ...(output === undefined ? {} : { output }), ...(timeout === undefined ? {} : { timeout }) }
  }
  return node
}

/**
 * The ids of the nodes some `parallel` node lists: they run only as part of it, never on their own. (A plugin's
 * kind may contain nodes too: the loader and the executor ask every kind, see `NodeKind.children`.)
 */
export const parallelChildren = (nodes: ReadonlyArray<Node>): ReadonlySet<string> =>
  new Set(nodes.flatMap((node) => (node.type === "parallel" ? node.parallelNodes : [])))

/** The default start: the first node of the list that is not another node's child. */
const firstRunnable = (
  nodes: ReadonlyArray<Node>,
  children: ReadonlySet<string> = parallelChildren(nodes)
): string | undefined => (nodes.find((node) => !children.has(node.id)) ?? nodes[0])?.id

/** A node's display name: `name`, or the node id. */
export const nodeName = (node: Node): string => node.name ?? node.id
