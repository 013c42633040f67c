/**
 * Workflow definitions: the Schema of a Victor-style workflow as written in YAML (snake_case keys), and the resolved
 * `WorkflowDefinition` the executor runs. `WorkflowLoader` turns a file into one; building a definition in code goes
 * through `make`, which applies the same defaults.
 *
 * Node kinds executed today: `agent`, `compute`, `condition`, `hitl`, `parallel`, `transform` and `workflow` (a
 * sub-workflow). The other kind Victor knows (`team`) and `$ref` includes are rejected by the loader by name, never
 * skipped; `stage:` / `overrides:` includes are resolved by the loader before decoding (see `StageTemplate`).
 */
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { JsonObject } from "@victor/core/Json"

/** Every node type Victor's YAML knows. */
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

/** The node types this package executes. */
export const supportedNodeTypes = [
  "agent",
  "compute",
  "condition",
  "parallel",
  "transform",
  "hitl",
  "workflow"
] as const

/** The node type a node without `type:` has (Victor's default). */
export const defaultNodeType = "agent"

/** A list that may also be written as one string (`next: review`). */
const StringList = Schema.transform(
  Schema.Union(Schema.String, Schema.Array(Schema.String)),
  Schema.Array(Schema.String),
  { strict: true, decode: (value) => (typeof value === "string" ? [value] : value), encode: (value) => value }
)

/** A duration in seconds. */
const Seconds = Schema.Number.pipe(
  Schema.positive({ message: () => "must be a positive number of seconds" })
).annotations({ identifier: "Seconds" })

const NodeId = Schema.String.pipe(Schema.minLength(1, { message: () => "must not be empty" }))

/** What a list of `constraints` may block (Victor's `ConstraintType`); `filesystem` blocks both network and write. */
export const blockableResources = ["llm", "network", "write", "filesystem"] as const

/**
 * A node's `constraints`, as an object. Victor also accepts a list of what is blocked (`[llm, write]`) and `none`
 * (nothing blocked); both become its object form (`{llm_allowed, network_allowed, write_allowed}`), so that a trace
 * shows one shape.
 */
export const Constraints = Schema.transformOrFail(
  Schema.Union(Schema.String, Schema.Array(Schema.String), JsonObject),
  JsonObject,
  {
    strict: true,
    decode: (value, _, ast) => {
      if (typeof value === "object" && !Array.isArray(value)) return ParseResult.succeed(value as JsonObject)
      const items = (typeof value === "string" ? [value] : value as ReadonlyArray<string>).map((item) =>
        item.toLowerCase()
      )
      const invalid = (message: string) => ParseResult.fail(new ParseResult.Type(ast, value, message))
      if (items.includes("none")) {
        return items.length === 1
          ? ParseResult.succeed({ llm_allowed: true, network_allowed: true, write_allowed: true })
          : invalid("'none' cannot be combined with other constraints")
      }
      const unknown = items.find((item) => !(blockableResources as ReadonlyArray<string>).includes(item))
      if (unknown !== undefined) {
        return invalid(`unknown constraint '${unknown}'; known: ${blockableResources.join(", ")}, none`)
      }
      const sandboxed = items.includes("filesystem")
      return ParseResult.succeed({
        llm_allowed: !items.includes("llm"),
        network_allowed: !sandboxed && !items.includes("network"),
        write_allowed: !sandboxed && !items.includes("write")
      })
    },
    encode: (value) => ParseResult.succeed(value)
  }
).annotations({ identifier: "Constraints" })

const commonFields = {
  id: NodeId,
  name: Schema.optional(Schema.String),
  description: Schema.optional(Schema.String),
  next: Schema.optionalWith(StringList, { default: () => [] }),
  output: Schema.optional(NodeId),
  inputMapping: Schema.optionalWith(Schema.Record({ key: Schema.String, value: Schema.String }), {
    default: () => ({})
  }).pipe(Schema.fromKey("input_mapping")),
  timeout: Schema.optional(Seconds),
  constraints: Schema.optionalWith(Constraints, { default: () => ({}) })
}

/** The default of an agent node's `tool_budget`. */
export const defaultToolBudget = 15

/**
 * An `agent` node: a model loop over a goal with the tools it may call, via `AgentProvider`. `type` is required
 * here so that the node union is discriminated by it; the loader fills in `type: agent` for nodes without one.
 */
export const AgentNode = Schema.Struct({
  type: Schema.Literal("agent"),
  ...commonFields,
  role: Schema.optional(Schema.String),
  /** A template rendered against state. */
  goal: Schema.String,
  /** The tools the model may call. */
  tools: Schema.optionalWith(StringList, { default: () => [] }),
  toolBudget: Schema.optionalWith(
    Schema.Int.pipe(Schema.nonNegative({ message: () => "must be a whole number of tool calls >= 0" })),
    { default: () => defaultToolBudget }
  ).pipe(Schema.fromKey("tool_budget")),
  llmConfig: Schema.optionalWith(JsonObject, { default: () => ({}) }).pipe(Schema.fromKey("llm_config"))
}).annotations({ identifier: "AgentNode" })

/** An `agent` node. */
export interface AgentNode extends Schema.Schema.Type<typeof AgentNode> {}

/**
 * A `compute` node: runs a registered handler (which may call the node's `tools`), or the tools in order, without a
 * model.
 */
export const ComputeNode = Schema.Struct({
  type: Schema.Literal("compute"),
  ...commonFields,
  handler: Schema.optional(Schema.String),
  tools: Schema.optionalWith(StringList, { default: () => [] }),
  inputs: Schema.optionalWith(JsonObject, { default: () => ({}) }),
  failFast: Schema.optionalWith(Schema.Boolean, { default: () => true }).pipe(Schema.fromKey("fail_fast"))
}).annotations({ identifier: "ComputeNode" })

/** A `compute` node. */
export interface ComputeNode extends Schema.Schema.Type<typeof ComputeNode> {}

/** A `condition` node: evaluates an expression (or a registered condition) and follows the matching branch. */
export const ConditionNode = Schema.Struct({
  type: Schema.Literal("condition"),
  ...commonFields,
  condition: Schema.String,
  branches: Schema.optionalWith(Schema.Record({ key: Schema.String, value: NodeId }), { default: () => ({}) })
}).annotations({ identifier: "ConditionNode" })

/** A `condition` node. */
export interface ConditionNode extends Schema.Schema.Type<typeof ConditionNode> {}

/** A `transform` node: `key = expression` lines evaluated against state and merged into it. */
export const TransformNode = Schema.Struct({
  type: Schema.Literal("transform"),
  ...commonFields,
  transform: StringList
}).annotations({ identifier: "TransformNode" })

/** A `transform` node. */
export interface TransformNode extends Schema.Schema.Type<typeof TransformNode> {}

/** How a `parallel` node joins its children: all must succeed, any may, or the first to succeed wins. */
export const JoinStrategy = Schema.Literal("all", "any", "first").annotations({ identifier: "JoinStrategy" })

/** How a `parallel` node joins its children. */
export type JoinStrategy = typeof JoinStrategy.Type

/** A `parallel` node: runs the nodes it lists concurrently on copies of state, then merges their updates. */
export const ParallelNode = Schema.Struct({
  type: Schema.Literal("parallel"),
  ...commonFields,
  parallelNodes: Schema.propertySignature(
    StringList.pipe(Schema.minItems(1, { message: () => "must list at least one node id" }))
  ).pipe(Schema.fromKey("parallel_nodes")),
  joinStrategy: Schema.optionalWith(JoinStrategy, { default: () => "all" as const }).pipe(
    Schema.fromKey("join_strategy")
  )
}).annotations({ identifier: "ParallelNode" })

/** A `parallel` node. */
export interface ParallelNode extends Schema.Schema.Type<typeof ParallelNode> {}

/** What a `hitl` node asks a human for. */
export const HitlType = Schema.Literal("approval", "review", "choice", "input", "confirmation").annotations({
  identifier: "HitlType"
})

/** What a `hitl` node does when no one answers in time: fail the run, go on with `default_value`, or skip it. */
export const HitlFallback = Schema.Literal("abort", "continue", "skip").annotations({ identifier: "HitlFallback" })

/** What a `hitl` node does when no one answers in time. */
export type HitlFallback = typeof HitlFallback.Type

/** The default of a `hitl` node's `timeout`, in seconds. */
export const defaultHitlTimeout = 300

/**
 * A `hitl` node: asks a human (through `HumanInput`) for an approval, a review, a choice, some input or a
 * confirmation. Its `timeout` is how long to wait for the answer (default 300 s), after which `fallback` applies.
 * Victor's files also write the choices as `options: [{label, description}]`: the loader turns those into
 * `choices` (the labels) when the node has no `choices` of its own.
 */
export const HitlNode = Schema.Struct({
  type: Schema.Literal("hitl"),
  ...commonFields,
  hitlType: Schema.propertySignature(HitlType).pipe(Schema.fromKey("hitl_type")),
  /** A template rendered against state. */
  prompt: Schema.String,
  /** State keys shown to the human with the prompt. */
  contextKeys: Schema.optionalWith(StringList, { default: () => [] }).pipe(Schema.fromKey("context_keys")),
  choices: Schema.optionalWith(StringList, { default: () => [] }),
  defaultValue: Schema.optional(Schema.Unknown).pipe(Schema.fromKey("default_value")),
  timeout: Schema.optionalWith(Seconds, { default: () => defaultHitlTimeout }),
  fallback: Schema.optionalWith(HitlFallback, { default: () => "abort" as const })
}).annotations({ identifier: "HitlNode" })

/** A `hitl` node. */
export interface HitlNode extends Schema.Schema.Type<typeof HitlNode> {}

/**
 * A `workflow` node: runs another workflow as a sub-workflow, with its own trace. `workflow` names it (a workflow of
 * the same file, or of the file at `path`, relative to this file); `input_mapping` builds the child's context from
 * this state (`$ctx.key` or a bare state key reads a value, a `{key}` template renders text); `output_mapping`
 * (`parent_key: child_key`) copies keys of the child's final state back. The child's final state is also stored
 * under `output` (default: the node id), unless there is an `output_mapping` and no explicit `output`.
 */
export const WorkflowNode = Schema.Struct({
  type: Schema.Literal("workflow"),
  ...commonFields,
  /** The workflow's name; optional with a `path` whose file holds one workflow. */
  workflow: Schema.optional(Schema.String),
  /** A workflow file, relative to the file of this workflow. */
  path: Schema.optional(Schema.String),
  outputMapping: Schema.optionalWith(Schema.Record({ key: Schema.String, value: Schema.String }), {
    default: () => ({})
  }).pipe(Schema.fromKey("output_mapping"))
}).annotations({ identifier: "WorkflowNode" })

/** A `workflow` node. */
export interface WorkflowNode extends Schema.Schema.Type<typeof WorkflowNode> {}

/** Any executable node. */
export const Node = Schema.Union(
  AgentNode,
  ComputeNode,
  ConditionNode,
  ParallelNode,
  TransformNode,
  HitlNode,
  WorkflowNode
)

/** Any executable node. */
export type Node = AgentNode | ComputeNode | ConditionNode | ParallelNode | TransformNode | HitlNode | WorkflowNode

const settingsFields = {
  timeout: Schema.optional(Seconds),
  defaultNodeTimeout: Schema.optional(Seconds).pipe(Schema.fromKey("default_node_timeout")),
  maxIterations: Schema.optional(
    Schema.Int.pipe(Schema.positive({ message: () => "must be a positive whole number" }))
  ).pipe(Schema.fromKey("max_iterations")),
  maxRetries: Schema.optional(
    Schema.Int.pipe(Schema.nonNegative({ message: () => "must be zero or a positive whole number" }))
  ).pipe(Schema.fromKey("max_retries"))
}

/** Workflow settings as written, at the top of a workflow or under `execution:`. */
export const ExecutionSpec = Schema.Struct(settingsFields).annotations({ identifier: "ExecutionSpec" })

/** One workflow as written in YAML. */
export const WorkflowSpec = Schema.Struct({
  name: Schema.optional(Schema.String),
  description: Schema.optionalWith(Schema.String, { default: () => "" }),
  metadata: Schema.optionalWith(JsonObject, { default: () => ({}) }),
  startNode: Schema.optional(NodeId).pipe(Schema.fromKey("start_node")),
  ...settingsFields,
  execution: Schema.optional(ExecutionSpec),
  nodes: Schema.Array(Node).pipe(Schema.minItems(1, { message: () => "must be a non-empty list of nodes" }))
}).annotations({ identifier: "WorkflowSpec" })

/** One workflow as written in YAML (decoded). */
export interface WorkflowSpec extends Schema.Schema.Type<typeof WorkflowSpec> {}

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
  } = {}
): WorkflowDefinition => ({
  name,
  description: spec.description,
  metadata: spec.metadata,
  startNode: spec.startNode ?? firstRunnable(spec.nodes) ?? "",
  settings: {
    timeout: spec.execution?.timeout ?? spec.timeout,
    defaultNodeTimeout: spec.execution?.defaultNodeTimeout ?? spec.defaultNodeTimeout,
    maxIterations: spec.execution?.maxIterations ?? spec.maxIterations ?? defaultMaxIterations,
    maxRetries: spec.execution?.maxRetries ?? spec.maxRetries ?? 0
  },
  nodes: spec.nodes,
  warnings: extra.warnings ?? [],
  ...(extra.source === undefined ? {} : { source: extra.source }),
  ...(extra.subWorkflows === undefined ? {} : { subWorkflows: extra.subWorkflows })
})

/** The ids of the nodes some `parallel` node lists: they run only as part of it, never on their own. */
export const parallelChildren = (nodes: ReadonlyArray<Node>): ReadonlySet<string> =>
  new Set(nodes.flatMap((node) => (node.type === "parallel" ? node.parallelNodes : [])))

/** The default start: the first node of the list that is not a parallel node's child. */
const firstRunnable = (nodes: ReadonlyArray<Node>): string | undefined => {
  const children = parallelChildren(nodes)
  return (nodes.find((node) => !children.has(node.id)) ?? nodes[0])?.id
}

/** The state key a node's output is stored under: `output`, or the node id. */
export const outputKey = (node: Node): string => node.output ?? node.id

/** A node's display name: `name`, or the node id. */
export const nodeName = (node: Node): string => node.name ?? node.id
