/**
 * Runs workflow definitions with tracing: every node through `WorkflowTracer.withNode`, every tool through
 * `withToolCall`, and the run through `startTrace` / `endTrace`, so the stored trace is the record of the run.
 *
 * The executor schedules; what a node does is its kind's (`NodeKind`: the built-in kinds under `nodes/` say how
 * agent, compute, condition, hitl, parallel, team, transform and workflow nodes run, and plugins may add kinds).
 * Semantics (Victor's, with the guide's intent where Victor was silent):
 * - State starts as the context. A node's outcome says what it adds to state (most store their output under their
 *   `output` key, default the id; a transform merges its assignments; a condition stores nothing) and where the run
 *   goes next.
 * - Order: a node follows its first `next`; without `next` it continues with the next node of the list that is not
 *   another node's child (a parallel node's); the last ends the run. A kind may choose instead (a condition follows
 *   its branch).
 * - A failed node ends the run as failed, after `max_retries` further attempts (a kind's `final` failures are not
 *   retried). `max_iterations` (or the `maxIterations` option) bounds how many times each node of the run's path may
 *   run, so loops end and long workflows do not; every visit is its own record with its `iteration` number (1 for
 *   the first) in the metadata, and a retry its `attempt`.
 * - `timeout` bounds the run, and `default_node_timeout` or a node's `timeout` each attempt at a node, as its kind's
 *   `TimeoutPolicy` says (parallel and team nodes only by their own `timeout`, hitl nodes by neither).
 * - An interrupted run ends its trace as `cancelled`, so it is stored like any other.
 * - Services: `AgentProvider`, `HumanInput` and `FunctionRegistry` are optional (without the first two, agent and
 *   hitl nodes fail saying so; without the last, the built-in conditions, handlers and kinds are used).
 * - Trace context: `ExecuteOptions.traceParent` / `parentTraceId` become the trace's parents; processes started by
 *   the tools of a node whose kind asks for it (compute, agent) get `TRACEPARENT` (the node's span) and `TRACESTATE`
 *   (`victor=<trace id>`) through `ToolRegistry.currentEnvironment`.
 */
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Mailbox from "effect/Mailbox"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import { type ExecutionEvent, ExecutionEventType } from "@victor/core/ExecutionEvent"
import type { JsonObject } from "@victor/core/Json"
import * as TraceContext from "@victor/core/TraceContext"
import * as TraceHandler from "@victor/core/TraceHandler"
import * as TraceId from "@victor/core/TraceId"
import type { TraceStoreError } from "@victor/core/TraceStore"
import type { TraceStatus, WorkflowTrace } from "@victor/core/WorkflowTrace"
import * as WorkflowTracer from "@victor/core/WorkflowTracer"
import * as NodeLoop from "@victor/core/internal/nodeLoop"
import * as AgentProvider from "./AgentProvider.ts"
import * as FunctionRegistry from "./FunctionRegistry.ts"
import * as HumanInput from "./HumanInput.ts"
import { successor } from "./internal/graph.ts"
import * as Kinds from "./internal/kinds.ts"
import * as NodeKind from "./NodeKind.ts"
import * as ToolRegistry from "./ToolRegistry.ts"
import type * as WorkflowDefinition from "./WorkflowDefinition.ts"
import type { WorkflowLoadError } from "./WorkflowLoadError.ts"
import * as WorkflowValidation from "./WorkflowValidation.ts"

/** Options of `execute` and `executeStream`. */
export interface ExecuteOptions {
  /** The initial state, recorded as the trace's inputs. */
  readonly context?: JsonObject
  /** Added to the workflow's own metadata in the trace. */
  readonly metadata?: JsonObject
  /** A caller-chosen trace id (validated by the store). */
  readonly traceId?: string
  /** How many times one node may run in a run (loops), overriding the workflow's `max_iterations`. */
  readonly maxIterations?: number
  /** How many children of one parallel node run at once: a positive whole number or `Infinity`; default 4. */
  readonly concurrency?: number
  /**
   * The W3C `traceparent` this run continues (e.g. from a `TRACEPARENT` environment variable, validated by the
   * caller): recorded as the trace's `trace_parent`, and its trace id is passed on to sub-workflows and processes.
   */
  readonly traceParent?: string
  /** The Victor trace id of the run that started this one (a sub-workflow's parent), recorded as `parent_trace_id`. */
  readonly parentTraceId?: string
}

/** The default of `ExecuteOptions.concurrency`. */
export const defaultConcurrency = 4

/** How a run ended. `saveError` is set when the trace could not be stored; the trace is still returned. */
export interface ExecutionResult {
  readonly trace: WorkflowTrace
  readonly state: JsonObject
  readonly status: TraceStatus
  readonly error: string | null
  readonly saveError: TraceStoreError | null
}

/** The run cannot go on. */
class RunFailure extends Data.TaggedError("RunFailure")<{ readonly message: string }> {}

// An outcome is its node's end as the tracer reads it (only `outputs` of its fields): no copy per node.
const outcomeEnd = (outcome: NodeKind.Outcome): WorkflowTracer.EndNodeOptions => outcome

// A node the tracer refused to record (no trace) fails as a node does.
const nodeFailureOf = (error: NodeKind.NodeFailure | WorkflowTracer.TracerError): NodeKind.NodeFailure =>
  error._tag === "TracerError" ? new NodeKind.NodeFailure({ message: error.message }) : error

// The metadata of most records: a node's first visit, first attempt.
const firstVisit: JsonObject = Object.freeze({ iteration: 1 })

// A node of a type no installed kind runs: validation stops a run that has one, but a kind may run such a node.
const unknownType = (node: WorkflowDefinition.Node): NodeKind.Prepared =>
  NodeKind.failed({}, `node '${node.id}' has type '${node.type}', which no installed node kind runs`)

/**
 * Checks a workflow against the registries before it runs: every node's kind is installed, every tool, compute
 * handler and named condition it names is registered (`FunctionRegistry`, the built-in one when none is provided),
 * no parallel node names missing nodes or contains itself (which a definition built in code could get wrong), and
 * the same for every sub-workflow. Fails with the first error, pointing at the node's line and column when the
 * definition came from a file; `WorkflowValidation.check` gives every finding, warnings included.
 */
export const validate: (
  workflow: WorkflowDefinition.WorkflowDefinition
) => Effect.Effect<void, WorkflowLoadError, ToolRegistry.ToolRegistry> = WorkflowValidation.validate

/** Runs a workflow, traced; never fails: a failed, timed-out or cancelled run is a result with that status. */
export const execute = (
  workflow: WorkflowDefinition.WorkflowDefinition,
  options: ExecuteOptions = {}
): Effect.Effect<ExecutionResult, never, WorkflowTracer.WorkflowTracer | ToolRegistry.ToolRegistry> =>
  Effect.gen(function*() {
    const tracer = yield* WorkflowTracer.WorkflowTracer
    // `withNode`'s fast path, inlined into the node loop below when the tracer's `withNode` is Victor's own (see
    // `@victor/core/internal/nodeLoop`: internal to Victor, not a tracer API).
    const nodeLoop = NodeLoop.of(tracer)
    const toolRegistry = yield* ToolRegistry.ToolRegistry
    // Optional, so that programs without agent nodes need not provide one; an agent node without it fails clearly.
    const provider = Option.getOrElse(
      yield* Effect.serviceOption(AgentProvider.AgentProvider),
      () => AgentProvider.none
    )
    // Optional too: only hitl nodes need it, and they fail saying so without it.
    const human = yield* Effect.serviceOption(HumanInput.HumanInput)
    // Sub-workflows run with the same services (tracer, tools, providers, handlers) as this run.
    const services = yield* Effect.context<WorkflowTracer.WorkflowTracer | ToolRegistry.ToolRegistry>()
    // Optional: the built-in conditions, handlers and node kinds without one.
    const functions = yield* FunctionRegistry.current
    const kinds = Kinds.of(functions)
    // Tool names resolve in the ToolRegistry first, then among the plugins' tools.
    const registry = FunctionRegistry.withPluginTools(toolRegistry, functions)
    // The run's trace id is chosen here, so that its W3C ids are known before the first node.
    const traceId = options.traceId ?? (yield* TraceId.make)
    const inherited = options.traceParent === undefined ? undefined : TraceContext.parse(options.traceParent)
    // The W3C trace id is the one the run continues, so a whole tree of runs shares it; else the run's own.
    const w3cTraceId = inherited !== undefined && Either.isRight(inherited)
      ? inherited.right.traceId
      : TraceContext.traceIdOf(traceId)
    const traceParentOf = (nodeId: string, iteration: number, attempt: number): string =>
      TraceContext.format({ traceId: w3cTraceId, parentId: TraceContext.spanIdOf(traceId, nodeId, iteration, attempt) })
    const context = options.context ?? {}
    const state: Record<string, unknown> = { ...context }
    const { maxRetries, timeout, defaultNodeTimeout } = workflow.settings
    const maxIterations = options.maxIterations ?? workflow.settings.maxIterations
    const indexOf = new Map(workflow.nodes.map((node, index) => [node.id, index]))
    const children = Kinds.childrenOf(workflow.nodes, kinds)
    const successors = workflow.nodes.map((_, index) => successor(workflow.nodes, index, children))
    const concurrency = options.concurrency ?? defaultConcurrency
    // When the first node started: what `elapsed_time()` counts from.
    let runStarted: number | undefined
    // Visits per node id, children included, for the `iteration` of repeated visits.
    const visitsOf = new Map<string, number>()
    const visit = (id: string): number => {
      const count = (visitsOf.get(id) ?? 0) + 1
      visitsOf.set(id, count)
      return count
    }

    // What the nodes of this run see of it (see `NodeKind.RunContext`): made once, shared by every node.
    const runContext: NodeKind.RunContext = {
      workflow,
      tracer,
      tools: registry,
      functions,
      provider,
      human,
      traceId,
      traceParentOf,
      concurrency: concurrency === Infinity ? "unbounded" : concurrency,
      node: (id) => {
        const index = indexOf.get(id)
        return index === undefined ? undefined : workflow.nodes[index]
      },
      visit,
      // A node run inside another never continues the run itself.
      attemptNode: (node, view, iteration, deadline) => attemptNode(node, view, undefined, iteration, deadline),
      execute: (child, run) =>
        Effect.provide(
          execute(child, {
            ...run,
            concurrency,
            ...(options.maxIterations === undefined ? {} : { maxIterations: options.maxIterations })
          }),
          services
        )
    }

    // One attempt at a node over `view`: its outcome, or its failure as a value (the effect itself fails only with a
    // defect or an interruption); the caller decides what to do with its updates.
    const runNode = (
      node: WorkflowDefinition.Node,
      view: JsonObject,
      next: string | undefined,
      iteration: number,
      attempt: number,
      deadline: number | undefined
    ): Effect.Effect<Either.Either<NodeKind.Outcome, NodeKind.NodeFailure>, NodeKind.NodeFailure> =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const remaining = deadline === undefined ? undefined : (deadline - now) / 1000
        const workflowTimeout = `workflow '${workflow.name}' timed out after ${timeout ?? 0}s`
        if (remaining !== undefined && remaining <= 0) {
          return Either.left(new NodeKind.NodeFailure({ message: workflowTimeout, final: true }))
        }
        const kind = kinds.get(node.type)
        const policy = kind === undefined ? "default" : kind.timeout
        const nodeTimeout = policy === "none"
          ? undefined
          : node.timeout ?? (policy === "own" ? undefined : defaultNodeTimeout)
        const bound = remaining !== undefined && (nodeTimeout === undefined || remaining < nodeTimeout)
          ? { seconds: remaining, failure: new NodeKind.NodeFailure({ message: workflowTimeout, final: true }) }
          : nodeTimeout === undefined
          ? undefined
          : {
            seconds: nodeTimeout,
            failure: new NodeKind.NodeFailure({ message: `node '${node.id}' timed out after ${nodeTimeout}s` })
          }
        const made = kind === undefined
          ? unknownType(node)
          : kind.prepare(node, { state: view, next, iteration, attempt, now, startedAt: runStarted ?? now, deadline, run: runContext })
        const prepared = Effect.isEffect(made) ? yield* made : made
        // Processes started for a node that calls tools get its trace context, so a `victor` inside links up.
        const traced = kind !== undefined && kind.toolEnvironment
          ? Effect.locally(
            prepared.body,
            ToolRegistry.currentEnvironment,
            TraceContext.environmentFor(traceParentOf(node.id, iteration, attempt), traceId)
          )
          : prepared.body
        const body = bound === undefined ? traced : traced.pipe(
          Effect.timeoutFail({ duration: Duration.seconds(bound.seconds), onTimeout: () => bound.failure })
        )
        // Every visit is its own record, numbered (1 for the first); a sub-workflow's links to the child trace.
        const metadata = prepared.metadata === undefined && iteration === 1 && attempt === 1
          ? firstVisit
          : prepared.metadata === undefined
          ? { iteration, ...(attempt > 1 ? { attempt } : {}) }
          : { iteration, ...(attempt > 1 ? { attempt } : {}), ...prepared.metadata }
        const nodeOptions = { nodeId: node.id, nodeType: node.type, inputs: prepared.inputs, metadata }
        // This loop runs every node of every run: opened and closed around the work without effects of their own
        // when the node loop can (no trace handler), else through `withNode`.
        const opened = nodeLoop?.open(nodeOptions)
        const exit = opened === undefined
          ? yield* Effect.exit(tracer.withNode(nodeOptions, body, outcomeEnd))
          : yield* Effect.exit(body)
        if (opened !== undefined) nodeLoop!.close(opened, exit, outcomeEnd)
        if (Exit.isSuccess(exit)) return Either.right(exit.value)
        // As `Effect.either` would: an expected failure is this attempt's result (it may be retried); a defect or an
        // interruption goes on up and ends the run. A tracer that refuses the node (no trace) fails it.
        const cause = Cause.map(exit.cause, nodeFailureOf)
        const failure = Cause.isDie(cause) ? Option.none() : Cause.failureOption(cause)
        if (Option.isSome(failure)) return Either.left(failure.value)
        return yield* Effect.failCause(cause)
      })

    // A node with its retries: fails with the last attempt's failure.
    const attemptNode = (
      node: WorkflowDefinition.Node,
      view: JsonObject,
      next: string | undefined,
      iteration: number,
      deadline: number | undefined
    ): Effect.Effect<NodeKind.Outcome, NodeKind.NodeFailure> =>
      Effect.gen(function*() {
        for (let attempt = 1;; attempt++) {
          const result = yield* runNode(node, view, next, iteration, attempt, deadline)
          if (Either.isRight(result)) return result.right
          if (attempt > maxRetries || result.left.final === true) return yield* result.left
          yield* tracer.recordEvent(ExecutionEventType.RETRY_ATTEMPT, {
            nodeId: node.id,
            error: result.left.message,
            data: { attempt: attempt + 1, max_retries: maxRetries }
          }).pipe(Effect.ignore)
        }
      })

    const run = Effect.gen(function*() {
      if (!(concurrency === Infinity || (Number.isInteger(concurrency) && concurrency >= 1))) {
        return yield* new RunFailure({
          message: `concurrency must be a positive whole number or Infinity, not ${concurrency}`
        })
      }
      yield* validate(workflow).pipe(Effect.mapError((error) => new RunFailure({ message: error.message })))
      const started = yield* Clock.currentTimeMillis
      runStarted = started
      const deadline = timeout === undefined ? undefined : started + timeout * 1000
      let current: string | undefined = workflow.startNode
      while (current !== undefined) {
        const index = indexOf.get(current)
        if (index === undefined) {
          return yield* new RunFailure({ message: `no node '${current}' in workflow '${workflow.name}'` })
        }
        // The limit is per node: a long workflow is fine, a loop that does not end is not.
        if ((visitsOf.get(current) ?? 0) === maxIterations) {
          return yield* new RunFailure({
            message: `workflow '${workflow.name}' reached max_iterations (${maxIterations} per node) before ` +
              `finishing: node '${current}' has already run ${maxIterations} times; raise max_iterations ` +
              "(--max-iterations) or check the loop's exit condition"
          })
        }
        const node = workflow.nodes[index]!
        const next = successors[index]
        const outcome: NodeKind.Outcome = yield* attemptNode(node, state, next, visit(current), deadline).pipe(
          Effect.mapError((failure) => new RunFailure({ message: `node '${node.id}' failed: ${failure.message}` }))
        )
        Object.assign(state, outcome.updates)
        current = outcome.next
      }
    }).pipe(
      Effect.tapError((failure) =>
        tracer.recordEvent(ExecutionEventType.ERROR_OCCURRED, { error: failure.message }).pipe(Effect.ignore)
      )
    )

    // The trace is ended on every path, interruption included, so every run is stored.
    return yield* Effect.uninterruptibleMask((restore) =>
      Effect.gen(function*() {
        yield* tracer.startTrace({
          workflowName: workflow.name,
          inputs: context,
          metadata: { ...workflow.metadata, ...options.metadata },
          traceId,
          parentTraceId: options.parentTraceId ?? null,
          traceParent: inherited !== undefined && Either.isRight(inherited) ? options.traceParent ?? null : null
        })
        const exit = yield* Effect.exit(restore(run))
        const [status, error]: readonly [Exclude<TraceStatus, "running">, string | null] = Exit.isSuccess(exit)
          ? ["succeeded", null]
          : Cause.isInterruptedOnly(exit.cause)
          ? ["cancelled", "cancelled"]
          : [
            "failed",
            Option.match(Cause.failureOption(exit.cause), {
              onNone: () => WorkflowTracer.describeCause(exit.cause),
              onSome: (failure) => failure.message
            })
          ]
        const finalState: JsonObject = { ...state }
        const ended = yield* tracer.endTrace({ outputs: finalState, status, error }).pipe(
          Effect.map((trace) => ({ trace, saveError: null })),
          Effect.catchTag("TraceStoreError", (saveError) =>
            Effect.map(tracer.getTrace, (trace) => ({ trace, saveError }))),
          Effect.orDie
        )
        return { trace: ended.trace, state: finalState, status, error, saveError: ended.saveError }
      })
    )
  })

const endEvents: ReadonlySet<string> = new Set([
  ExecutionEventType.WORKFLOW_COMPLETED,
  ExecutionEventType.WORKFLOW_FAILED,
  ExecutionEventType.WORKFLOW_CANCELLED
])

/**
 * Runs a workflow and streams its execution events as they happen, ending after the run's completed, failed or
 * cancelled event (the events of its sub-workflows are in their own traces, not in this stream). The run belongs to the stream: stopping the stream early cancels the run (its trace is stored as
 * `cancelled`).
 */
export const executeStream = (
  workflow: WorkflowDefinition.WorkflowDefinition,
  options: ExecuteOptions = {}
): Stream.Stream<ExecutionEvent, never, WorkflowTracer.WorkflowTracer | ToolRegistry.ToolRegistry> =>
  Stream.unwrapScoped(
    Effect.gen(function*() {
      const mailbox = yield* Mailbox.make<ExecutionEvent>()
      // Only this run's events: its sub-workflows' are in their own traces.
      const traceId = options.traceId ?? (yield* TraceId.make)
      const handler = TraceHandler.make("@victor/workflow/executeStream", {
        onEvent: (event, trace) => trace.traceId === traceId ? Effect.asVoid(mailbox.offer(event)) : Effect.void
      })
      yield* execute(workflow, { ...options, traceId }).pipe(
        TraceHandler.provideMore(handler),
        Effect.ensuring(mailbox.end),
        Effect.forkScoped
      )
      return Mailbox.toStream(mailbox).pipe(Stream.takeUntil((event) => endEvents.has(event.eventType)))
    })
  )
