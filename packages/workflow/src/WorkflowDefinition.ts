/**
 * Workflow definitions: the Schema of a Victor-style workflow as written in YAML (snake_case keys), and the resolved
 * `WorkflowDefinition` the executor runs. `WorkflowLoader` turns a file into one; building a definition in code goes
 * through `make`, which applies the same defaults.
 *
 * Node kinds executed today: `agent`, `compute`, `condition`, `hitl`, `parallel`, `team`, `transform` and `workflow`
 * (a sub-workflow). `$ref` includes are rejected by the loader by name, never skipped; `stage:` / `overrides:` includes are resolved by the loader before decoding (see `StageTemplate`).
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
  "team",
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

/**
 * Fields Victor's files write that this package accepts besides the core ones. What each one does:
 *
 * | field                          | on        | meaning here                                                         |
 * | ------------------------------ | --------- | -------------------------------------------------------------------- |
 * | `allowed_tools`                | agent     | Victor's loader reads an agent's tool list from `tools:` (its        |
 * |                                |           | `allowed_tools` attribute); a YAML `allowed_tools:` is the same list.|
 * |                                |           | Alone, it is the agent's tools; with `tools:`, it restricts them     |
 * |                                |           | (the agent may call the tools in both). Applied by `make`.           |
 * | `instructions`                 | agent     | appended to the system prompt (after `You are <role>.`)              |
 * | `profile`                      | agent     | provider profile name: the provider config has no profiles, so it is |
 * |                                |           | recorded in the node's trace metadata (`profile`) only               |
 * | `disable_embeddings`           | agent     | no embeddings here: carried in the node's trace metadata             |
 * | `sandbox_dir`                  | agent     | carried in the node's trace metadata (`sandbox_dir`); the built-in   |
 * |                                |           | tools do not confine writes to it                                    |
 * | `services`                     | workflow  | carried in the workflow's trace metadata (`services`)                |
 * | `batch_config`                 | workflow  | carried in the workflow's trace metadata (`batch_config`)            |
 * | `error_handling`               | workflow  | carried in the workflow's trace metadata (`error_handling`)          |
 * | `temporal_context`             | workflow  | carried in the workflow's trace metadata (`temporal_context`), as    |
 * |                                |           | Victor stores it in the workflow's metadata                          |
 * | `mcp_servers`                  | workflow  | kept raw as `WorkflowDefinition.mcpServers` (for MCP tool servers)   |
 *
 * Any other field is still an "unknown field ... is ignored" warning.
 */
const agentExtraFields = {
  allowedTools: Schema.optional(StringList).pipe(Schema.fromKey("allowed_tools")),
  instructions: Schema.optional(Schema.String),
  profile: Schema.optional(Schema.String),
  disableEmbeddings: Schema.optional(Schema.Boolean).pipe(Schema.fromKey("disable_embeddings")),
  sandboxDir: Schema.optional(Schema.String).pipe(Schema.fromKey("sandbox_dir"))
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
  llmConfig: Schema.optionalWith(JsonObject, { default: () => ({}) }).pipe(Schema.fromKey("llm_config")),
  ...agentExtraFields
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

/**
 * How a `team` node runs its members. Victor's formations, as read here: `sequential` and `pipeline` run the members
 * in order, each one given the previous member's output (Victor: "context chaining" / "output of one member feeds
 * into the next"); `parallel` runs them at once, each on the team's input state (Victor: "independent work");
 * `hierarchical` (a supervisor delegating, then synthesizing) is run in order like `sequential`, the members as
 * listed (write the manager last to have it synthesize); `consensus` (all must agree, in rounds) runs one round
 * in parallel and records every member's answer without checking agreement.
 */
export const TeamFormation = Schema.Literal("sequential", "parallel", "hierarchical", "pipeline", "consensus")
  .annotations({ identifier: "TeamFormation" })

/** How a `team` node runs its members. */
export type TeamFormation = typeof TeamFormation.Type

/**
 * One member of a `team` node: run as an agent node under the team node (its trace record is a child of the team's,
 * with id `<team id>.<member id>`). `backstory`, `expertise` and `personality` join the member's system prompt.
 * Victor's other member fields (`agent_category`, `can_delegate`, `delegation_targets`, `is_manager`) are accepted
 * and not used.
 */
export const TeamMember = Schema.Struct({
  id: NodeId,
  name: Schema.optional(Schema.String),
  role: Schema.optional(Schema.String),
  goal: Schema.String,
  tools: Schema.optionalWith(StringList, { default: () => [] }),
  allowedTools: Schema.optional(StringList).pipe(Schema.fromKey("allowed_tools")),
  toolBudget: Schema.optionalWith(
    Schema.Int.pipe(Schema.nonNegative({ message: () => "must be a whole number of tool calls >= 0" })),
    { default: () => defaultToolBudget }
  ).pipe(Schema.fromKey("tool_budget")),
  llmConfig: Schema.optionalWith(JsonObject, { default: () => ({}) }).pipe(Schema.fromKey("llm_config")),
  backstory: Schema.optional(Schema.String),
  expertise: Schema.optional(StringList),
  personality: Schema.optional(Schema.String),
  profile: Schema.optional(Schema.String)
}).annotations({ identifier: "TeamMember" })

/** One member of a `team` node. */
export interface TeamMember extends Schema.Schema.Type<typeof TeamMember> {}

/**
 * A `team` node (Victor's TeamStep): its `members` run as agent nodes under it, in the order or all at once as its
 * `team_formation` says (see `TeamFormation`); each member's goal is followed by the team's `goal` and, in order
 * formations, the previous member's answer. The team's output (`{formation, members: {id: answer}, response,
 * success, errors?}`, `response` the last answer) is stored under `output` (Victor writes `output_key`).
 * `timeout_seconds` is Victor's spelling of `timeout`. With `continue_on_error: true` a failed member is recorded
 * and the others go on; else the first failure fails the team. `merge_strategy`, `merge_mode`, `max_iterations`,
 * `total_tool_budget` and `shared_context` are carried into the node's trace metadata.
 */
export const TeamNode = Schema.Struct({
  type: Schema.Literal("team"),
  ...commonFields,
  goal: Schema.optionalWith(Schema.String, { default: () => "" }),
  teamFormation: Schema.optionalWith(TeamFormation, { default: () => "sequential" as const }).pipe(
    Schema.fromKey("team_formation")
  ),
  members: Schema.Array(TeamMember).pipe(Schema.minItems(1, { message: () => "must list at least one member" })),
  outputKey: Schema.optional(NodeId).pipe(Schema.fromKey("output_key")),
  timeoutSeconds: Schema.optional(Seconds).pipe(Schema.fromKey("timeout_seconds")),
  continueOnError: Schema.optionalWith(Schema.Boolean, { default: () => false }).pipe(
    Schema.fromKey("continue_on_error")
  ),
  mergeStrategy: Schema.optional(Schema.String).pipe(Schema.fromKey("merge_strategy")),
  mergeMode: Schema.optional(Schema.String).pipe(Schema.fromKey("merge_mode")),
  maxIterations: Schema.optional(Schema.Int).pipe(Schema.fromKey("max_iterations")),
  totalToolBudget: Schema.optional(Schema.Int).pipe(Schema.fromKey("total_tool_budget")),
  sharedContext: Schema.optional(Schema.Unknown).pipe(Schema.fromKey("shared_context"))
}).annotations({ identifier: "TeamNode" })

/** A `team` node. */
export interface TeamNode extends Schema.Schema.Type<typeof TeamNode> {}

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

/** Any executable node. */
export type Node =
  | AgentNode
  | ComputeNode
  | ConditionNode
  | ParallelNode
  | TransformNode
  | HitlNode
  | TeamNode
  | WorkflowNode

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
  services: Schema.optional(Schema.Unknown),
  batchConfig: Schema.optional(Schema.Unknown).pipe(Schema.fromKey("batch_config")),
  errorHandling: Schema.optional(Schema.Unknown).pipe(Schema.fromKey("error_handling")),
  temporalContext: Schema.optional(Schema.Unknown).pipe(Schema.fromKey("temporal_context")),
  mcpServers: Schema.optional(Schema.Unknown).pipe(Schema.fromKey("mcp_servers")),
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
  } = {}
): WorkflowDefinition => ({
  name,
  description: spec.description,
  metadata: carriedMetadata(spec),
  startNode: spec.startNode ?? firstRunnable(spec.nodes) ?? "",
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

/** Tools after `allowed_tools`: the list alone, or `tools` restricted to it. */
export const allowedTools = (
  tools: ReadonlyArray<string>,
  allowed: ReadonlyArray<string> | undefined
): ReadonlyArray<string> =>
  allowed === undefined ? tools : tools.length === 0 ? allowed : tools.filter((tool) => allowed.includes(tool))

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
 * The agent nodes a team node's members run as (made once per team node): id `<team id>.<member id>`, the member's
 * goal followed by the team's goal, and `{{team_previous}}` (the previous member's answer, which the executor puts
 * in the member's state) in order formations.
 */
export const teamMembers = (node: TeamNode): ReadonlyArray<AgentNode> => {
  let members = membersOf.get(node)
  if (members === undefined) {
    const chained = node.teamFormation !== "parallel" && node.teamFormation !== "consensus"
    members = node.members.map((member, i): AgentNode => {
      const persona = [
        member.backstory?.trim(),
        member.expertise === undefined || member.expertise.length === 0
          ? undefined
          : `Expertise: ${member.expertise.join(", ")}.`,
        member.personality === undefined ? undefined : `Personality: ${member.personality.trim()}.`
      ].filter((part): part is string => part !== undefined && part !== "")
      const goal = [
        member.goal.trim(),
        ...(node.goal.trim() === "" ? [] : [`Team goal:\n${node.goal.trim()}`]),
        ...(chained && i > 0 ? ["Previous team member's work:\n{{team_previous}}"] : [])
      ].join("\n\n")
      return {
        type: "agent",
        id: `${node.id}.${member.id}`,
        name: member.name ?? member.id,
        next: [],
        inputMapping: {},
        constraints: node.constraints,
        ...(member.role === undefined ? {} : { role: member.role }),
        goal,
        tools: allowedTools(member.tools, member.allowedTools),
        toolBudget: member.toolBudget,
        llmConfig: member.llmConfig,
        ...(persona.length === 0 ? {} : { instructions: persona.join("\n\n") }),
        ...(member.profile === undefined ? {} : { profile: member.profile })
      }
    })
    membersOf.set(node, members)
  }
  return members
}

const membersOf = new WeakMap<TeamNode, ReadonlyArray<AgentNode>>()

/**
 * The registered transform a transform node calls: its `transform:` is one bare name (`transform:
 * extract_error_patterns`), not `key = expression` lines.
 */
export const namedTransform = (node: TransformNode): string | undefined => {
  if (node.transform.length !== 1) return undefined
  const line = node.transform[0]!.trim()
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(line) ? line : undefined
}

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
