/**
 * Node kinds as modules. A kind is everything the engine knows about one `type:` of node: how its YAML record is
 * decoded (and so which fields it may carry: any other warns), what is wrong with one before anything runs, where
 * the run may go after it, what bounds its time, and how it runs. The loader, `WorkflowValidation` and
 * `WorkflowExecutor` name no kind: they look each node's kind up among the built-in ones (a module each under
 * `nodes/`) and those plugins add (`FunctionRegistry.FunctionPlugin.nodeKinds`), so a new kind is a new module.
 *
 * ```ts
 * const shout = NodeKind.make({
 *   type: "shout",
 *   schema: Schema.Struct({ type: Schema.Literal("shout"), ...NodeFields.common, text: Schema.String }),
 *   prepare: (node, visit) => {
 *     const outputs = { text: node.text.toUpperCase() }
 *     const updates = { [NodeKind.outputKey(node)]: outputs }
 *     return { inputs: { text: node.text }, body: Effect.succeed({ outputs, updates, next: visit.next }) }
 *   }
 * })
 * Effect.provide(program, FunctionRegistry.layer([FunctionRegistry.plugin("shouting", { nodeKinds: [shout] })]))
 * ```
 */
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import type * as Either from "effect/Either"
import type * as Option from "effect/Option"
import type * as Schema from "effect/Schema"
import * as SchemaAST from "effect/SchemaAST"
import type { JsonObject } from "@victor/core/Json"
import type { TraceStatus } from "@victor/core/WorkflowTrace"
import type * as WorkflowTracer from "@victor/core/WorkflowTracer"
import type * as AgentProvider from "./AgentProvider.ts"
import type * as FunctionRegistry from "./FunctionRegistry.ts"
import type * as HumanInput from "./HumanInput.ts"
import type * as NodeFields from "./NodeFields.ts"
import type * as ToolRegistry from "./ToolRegistry.ts"
import type * as WorkflowDefinition from "./WorkflowDefinition.ts"

/** A node of any kind as the engine sees it: its `type` and the fields every node has (`NodeFields.common`). */
export interface NodeBase extends Schema.Struct.Type<typeof NodeFields.common> {
  readonly type: string
}

/** The state key a node's output is stored under: `output`, or the node id. */
export const outputKey = (node: NodeBase): string => node.output ?? node.id

/** A place in a node's YAML record, by keys and indices from the node (`["tools", 1]`). */
export type Path = ReadonlyArray<string | number>

/**
 * Something wrong with one node. `at` is where: a path from the node (`[]` is the node's entry), or `null` for the
 * node's line alone (when no field of it is to blame).
 */
export interface Issue {
  readonly severity: "error" | "warning"
  readonly at: Path | null
  readonly description: string
  /** How to fix it, when there is an obvious way. */
  readonly hint?: string
}

/** An error about a node: it does not load, or does not run. */
export const error = (at: Path | null, description: string, hint?: string): Issue =>
  hint === undefined ? { severity: "error", at, description } : { severity: "error", at, description, hint }

/** A warning about a node: it runs, but probably not as its author meant. */
export const warning = (at: Path | null, description: string, hint?: string): Issue =>
  hint === undefined ? { severity: "warning", at, description } : { severity: "warning", at, description, hint }

/** A record rewritten before decoding; `writtenAs` names, for keys the rewrite filled in, the key they came from. */
export interface Rewritten {
  readonly record: Readonly<Record<string, unknown>>
  readonly writtenAs?: Readonly<Record<string, string>>
}

/** What a node's load-time checks may ask about the rest of its workflow. */
export interface GraphContext {
  /** The node that runs this one as part of itself (the parallel node of a child), if any. */
  readonly parentOf: (id: string) => NodeBase | undefined
  /**
   * An error when `target` is not a node of the workflow (`node '<id>' <what> '<target>', which is not a node in
   * this workflow`, with the closest id as a hint); undefined when it is.
   */
  readonly missing: (nodeId: string, target: string, at: Path, what: string) => Issue | undefined
}

/** A node the run may go to from this one, when the node chooses where (a condition's branch). */
export interface Successor {
  readonly target: string
  /** Where the target is written, from the node (`["branches", "true"]`). */
  readonly at: Path
  /** How a message says it: `node '<id>' <what> '<target>'` (`branch 'true' goes to`). */
  readonly what: string
}

/** The nodes a node runs as part of itself (a parallel node's children): they never run on their own. */
export interface Children<N> {
  /** The YAML key that lists them (`parallel_nodes`), for messages and locations. */
  readonly key: string
  readonly of: (node: N) => ReadonlyArray<string>
}

/** What a node's checks against the registries of a run see. */
export interface ValidationContext {
  readonly workflow: WorkflowDefinition.WorkflowDefinition
  /** The tools nodes may name: the `ToolRegistry`'s, then the plugins'. */
  readonly tools: ToolRegistry.ToolRegistryService
  readonly functions: FunctionRegistry.FunctionRegistryService
  /** The state keys the workflow's own nodes set: a bare name among them is state, not a registered function. */
  readonly stateKeys: StateKeys
}

/** Whether a node of the workflow sets a state key. */
export interface StateKeys {
  readonly has: (key: string) => boolean
}

/**
 * What bounds one attempt at a node besides the workflow's `timeout`: `default`, its own `timeout` or else the
 * workflow's `default_node_timeout`; `own`, only its own `timeout` (parallel and team nodes: the default bounds each
 * of the nodes they run, not the whole); `none`, neither (a hitl node's `timeout` is how long it waits for an
 * answer, with a fallback of its own).
 */
export type TimeoutPolicy = "default" | "own" | "none"

/** What a node did: its recorded outputs, what it adds to state, and where the run goes next. */
export interface Outcome {
  readonly outputs: JsonObject
  readonly updates: JsonObject
  readonly next: string | undefined
}

/**
 * A node failed, with the message its record and the run's error show. A `final` failure is not retried by
 * `max_retries` (a human said no, the workflow ran out of time, a join failed after its children's own retries).
 */
export class NodeFailure extends Data.TaggedError("NodeFailure")<{
  readonly message: string
  readonly final?: boolean
}> {}

/** A node ready to run: what is recorded as its inputs (and metadata) when it starts, and the work. */
export interface Prepared {
  readonly inputs: JsonObject
  /** Added to the node record's metadata when it starts. */
  readonly metadata?: JsonObject
  readonly body: Effect.Effect<Outcome, NodeFailure>
}

/** The options a sub-workflow is run with; the run adds its concurrency and iteration limit. */
export interface SubWorkflowOptions {
  readonly context: JsonObject
  readonly traceId: string
  readonly parentTraceId: string
  readonly traceParent: string
}

/** How a sub-workflow ended. */
export interface SubWorkflowResult {
  readonly status: TraceStatus
  readonly state: JsonObject
  readonly error: string | null
}

/**
 * What one run gives its nodes, made once per run. Leaf kinds read the services; composite kinds (parallel, team,
 * workflow) also run other nodes (`attemptNode`) or workflows (`execute`) inside their own, which is why those are
 * here and nothing else of the executor is: state, scheduling and the run's record stay the executor's.
 */
export interface RunContext {
  /** The workflow being run: its nodes, its settings and the sub-workflows its `workflow` nodes run. */
  readonly workflow: WorkflowDefinition.WorkflowDefinition
  readonly tracer: WorkflowTracer.WorkflowTracerService
  /** The tools nodes may call: the `ToolRegistry`'s, then the plugins'. */
  readonly tools: ToolRegistry.ToolRegistryService
  readonly functions: FunctionRegistry.FunctionRegistryService
  /** `AgentProvider.none` when the run has none: agent nodes then fail saying so. */
  readonly provider: AgentProvider.AgentProviderService
  readonly human: Option.Option<HumanInput.HumanInputService>
  /** The run's Victor trace id. */
  readonly traceId: string
  /** The W3C `traceparent` of one attempt at a node: the run's W3C trace id and the attempt's span id. */
  readonly traceParentOf: (nodeId: string, iteration: number, attempt: number) => string
  /** How many nodes a composite node may run at once (`ExecuteOptions.concurrency`). */
  readonly concurrency: number | "unbounded"
  /** The node of the workflow with this id. */
  readonly node: (id: string) => WorkflowDefinition.Node | undefined
  /** Counts a visit of a node (children and members included) and gives its number, for the record's `iteration`. */
  readonly visit: (id: string) => number
  /**
   * Runs a node inside the current one, on this state, as its own record with its own retries and timeout, within
   * `deadline`; fails with its last attempt's failure. Its outcome's `next` is not followed.
   */
  readonly attemptNode: (
    node: WorkflowDefinition.Node,
    state: JsonObject,
    iteration: number,
    deadline: number | undefined
  ) => Effect.Effect<Outcome, NodeFailure>
  /** Runs a workflow with the run's services, concurrency and iteration limit, tracing it; never fails. */
  readonly execute: (
    workflow: WorkflowDefinition.WorkflowDefinition,
    options: SubWorkflowOptions
  ) => Effect.Effect<SubWorkflowResult>
}

/** One attempt at a node: the state it sees, where it stands, and its run. */
export interface Visit {
  /** The state as the node sees it (a copy for a parallel child): read it; the outcome's `updates` change state. */
  readonly state: JsonObject
  /** Where the run goes after the node unless the node chooses: its first `next`, or the next node of the list. */
  readonly next: string | undefined
  /** Which visit of the node this is, from 1. */
  readonly iteration: number
  /** Which attempt at this visit, from 1 (retries). */
  readonly attempt: number
  /** When the attempt started (epoch milliseconds, from `Clock`): what expressions' `now()` reads. */
  readonly now: number
  /** When the run started (epoch milliseconds, from `Clock`): what expressions' `elapsed_time()` counts from. */
  readonly startedAt: number
  /** When the workflow's `timeout` runs out (epoch milliseconds), if it has one: nodes run inside get the same. */
  readonly deadline: number | undefined
  readonly run: RunContext
}

/** One kind of node, for nodes whose decoded type is `N`. */
export interface NodeKind<N extends NodeBase = NodeBase> {
  /** The `type:` it is written with. */
  readonly type: string
  /** Decodes its YAML record (the wire's snake_case keys) into a node; it spreads `NodeFields.common`. */
  readonly schema: Schema.Schema<N, any>
  /** The keys its record may have: the schema's, and any `rewrite` reads. Others are "unknown field" warnings. */
  readonly keys: ReadonlySet<string>
  /** Rewrites other spellings of its fields in a record before decoding (a hitl node's `options:`). */
  readonly rewrite?: (record: Readonly<Record<string, unknown>>) => Either.Either<Rewritten, Issue>
  /** Checks of the node as loaded (expressions parse, lists hold no duplicates, ...), located in its record. */
  readonly check?: (node: N, graph: GraphContext) => ReadonlyArray<Issue>
  /**
   * Where the run may go after the node when the node chooses (a condition's branches): graph checks and
   * reachability follow these. Without it the node goes to its first `next`, else the next node of the list.
   */
  readonly successors?: (node: N) => ReadonlyArray<Successor>
  /** The nodes it runs as part of itself (a parallel node's children): the run never reaches them on its own. */
  readonly children?: Children<N>
  /** The state keys it sets besides an explicit `output:` (default: its output key). */
  readonly stateKeys?: (node: N) => Iterable<string>
  /** Checks against the registries of the run (tools, handlers, conditions), before anything runs. */
  readonly validate?: (node: N, context: ValidationContext) => ReadonlyArray<Issue>
  /** What bounds one attempt at it besides the workflow's `timeout` (see `TimeoutPolicy`). */
  readonly timeout: TimeoutPolicy
  /**
   * Whether processes that its tools start get the node's trace context (`TRACEPARENT`, `TRACESTATE` through
   * `ToolRegistry.currentEnvironment`), so that a `victor` inside joins the trace.
   */
  readonly toolEnvironment: boolean
  /**
   * Prepares one attempt: what its record shows as inputs, and the work. Returned directly, or as an effect when
   * preparing needs one (a new trace id); a node that cannot run is prepared as one that fails (`failed`).
   */
  readonly prepare: (node: N, visit: Visit) => Prepared | Effect.Effect<Prepared>
}

/** A kind of any node type, as registries hold them. */
export type Any = NodeKind<any>

/** What `make` takes: a kind without `keys` (worked out from its schema), `timeout` and `toolEnvironment` optional. */
export interface Options<N extends NodeBase>
  extends Omit<NodeKind<N>, "keys" | "timeout" | "toolEnvironment">
{
  /** Keys its record may have that the schema does not decode (read by `rewrite`). */
  readonly extraKeys?: ReadonlyArray<string>
  /** Default `"default"`. */
  readonly timeout?: TimeoutPolicy
  /** Default `false`. */
  readonly toolEnvironment?: boolean
}

/** The keys a schema decodes, as written (`tool_budget`, not `toolBudget`). */
const encodedKeys = (schema: Schema.Schema.AnyNoContext): ReadonlyArray<string> =>
  SchemaAST.getPropertySignatures(SchemaAST.encodedAST(schema.ast)).map((p) => String(p.name))

/** Builds a kind; its node type is the schema's. */
export const make = <N extends NodeBase>(options: Options<N>): NodeKind<N> => {
  const { extraKeys, timeout, toolEnvironment, ...kind } = options
  return {
    ...kind,
    keys: new Set([...encodedKeys(options.schema), ...(extraKeys ?? [])]),
    timeout: timeout ?? "default",
    toolEnvironment: toolEnvironment ?? false
  }
}

/** An attempt that fails as soon as it runs, recording these inputs: a node that cannot run, as a record. */
export const failed = (inputs: JsonObject, message: string): Prepared => ({
  inputs,
  body: Effect.fail(new NodeFailure({ message }))
})
