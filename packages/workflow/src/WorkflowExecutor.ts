/**
 * Runs workflow definitions with tracing: every node through `WorkflowTracer.withNode`, every tool through
 * `withToolCall`, and the run through `startTrace` / `endTrace`, so the stored trace is the record of the run.
 *
 * Semantics (Victor's, with the guide's intent where Victor was silent):
 * - State starts as the context. A node's output is stored under its `output` key (default: its id). A transform
 *   merges its assignments into state instead; a condition stores nothing (its value is in the trace).
 * - Order: a node follows its first `next`; without `next` it continues with the next node of the list; the last
 *   ends the run. A condition follows the branch whose key equals its value as text (`true:` matches `true`), else
 *   `default`; no match and no default fails the node with an error naming the value.
 * - compute: `inputs` (and `input_mapping`, which reads state keys) are resolved with `Template.resolve`. With one
 *   tool it gets the inputs; with several, keys named after a tool hold that tool's own inputs (merged over the
 *   shared keys), otherwise every tool gets the same inputs. The output is an object keyed by tool name. A failing
 *   tool fails the node under `fail_fast` (the default); otherwise its entry is `{ error }` and the node goes on.
 * - parallel: the nodes in `parallel_nodes` (its children) run concurrently, at most `concurrency` of them at once
 *   (an execute option, default 4), each on its own copy of the state as it was when the parallel node started.
 *   Each child is traced as a node of its own (with its own retries and timeout), inside the parallel node's record,
 *   whose outputs give every child's status (`succeeded`, `failed`, `cancelled`, or `skipped` when a `first` join
 *   ended before it started). `all` needs every child to succeed and fails, once all have finished, naming the
 *   failed ones; `any` needs one success and lets every child finish; `first` takes the first child to succeed and
 *   interrupts the others (their records end failed with "cancelled"). The successful children's state updates are
 *   then merged in list order (a later child wins a key both set); under `first` only the winner's. The parallel node
 *   stores its own outputs only under an explicit `output:`; a failed join is not retried as a whole (its children
 *   had their own retries). Children never continue the run (their `next` and branches are ignored): the parallel
 *   node follows its own `next`, or auto-chains to the next node of the list that is not a child. Only the parallel
 *   node's own `timeout` (not `default_node_timeout`, which bounds each child) limits the whole fan-out.
 * - agent: `goal` is rendered with `Template.render`, then the loop asks the `AgentProvider` for a turn (the
 *   conversation so far, the allowed tools with their descriptions, `llm_config`), timing each call and recording it
 *   as a `model_call_completed` event and in the node's `metadata.model_calls`. Each requested tool call is run
 *   through `withToolCall` and its outputs appended to the conversation; a tool the node does not list in `tools` is
 *   not run but recorded as a failed call, and its error is reported back to the model, as is a failing tool's (the
 *   agent may recover; a compute node would fail). Every requested call counts against `tool_budget`: asking for one
 *   more fails the node. A turn without tool calls is the final answer; its text is the output's `response`
 *   (`{ response, success: true, tool_calls, error: null }`); a turn with neither text nor tool calls, or a provider
 *   error (`AgentError`), fails the node. Providing `AgentProvider` is optional: without one, agent nodes fail with a
 *   message saying so, and workflows without agents run as before. Each visit or retry starts a new conversation
 *   (a scripted provider goes on with the node's next turns).
 * - hitl: `prompt` is rendered with `Template.render` and `context_keys` read from state (a missing key is `null`);
 *   the node emits `hitl_requested`, asks the `HumanInput` service, waiting at most its `timeout` (default 300 s;
 *   `default_node_timeout` does not apply, the workflow `timeout` does), then emits `hitl_resolved` with the answer
 *   (also when the request ends without one, with the error). Its output is `{ approved, value, timed_out }`
 *   (`approved` only for approval and confirmation). Answering `false` to an approval or confirmation fails the
 *   node ("'<node>' was not approved"). No answer in time, or a `NoAnswer` error, applies `fallback`: `abort` (the
 *   default) fails the node; `continue` succeeds with `value: default_value` (for yes/no types `approved: true` and
 *   `value` `true` when there is no default) and `timed_out: true`; `skip` emits `node_skipped`, records the node as
 *   succeeded with outputs `{ skipped: true }`, stores nothing and goes on. A rejection, a missing answer under
 *   `abort` and a missing `HumanInput` are not retried by `max_retries` (the human has spoken, or cannot); an invalid
 *   answer or an unavailable provider is. Providing `HumanInput` is optional: without one, hitl nodes fail saying so.
 * - A failed node ends the run as failed, after `max_retries` further attempts. `max_iterations` (or the
 *   `maxIterations` option) bounds how many times each node of the run's path may run, so loops end and long
 *   workflows do not; every visit is its own record with its `iteration` number (1 for the first) in the metadata.
 *   `timeout` bounds the run and `default_node_timeout` / a node's `timeout` each node.
 * - An interrupted run ends its trace as `cancelled`, so it is stored like any other.
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
import * as TraceHandler from "@victor/core/TraceHandler"
import type { TraceStoreError } from "@victor/core/TraceStore"
import type { TraceStatus, WorkflowTrace } from "@victor/core/WorkflowTrace"
import * as WorkflowTracer from "@victor/core/WorkflowTracer"
import * as AgentProvider from "./AgentProvider.ts"
import * as Expression from "./Expression.ts"
import * as HumanInput from "./HumanInput.ts"
import * as Assignments from "./internal/assignments.ts"
import { parallelCycle, successor } from "./internal/graph.ts"
import { isPlainObject, lookup } from "./internal/plainData.ts"
import * as Template from "./Template.ts"
import * as ToolRegistry from "./ToolRegistry.ts"
import * as WorkflowDefinition from "./WorkflowDefinition.ts"
import { WorkflowLoadError } from "./WorkflowLoader.ts"

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

/** A node failed; `final` failures (the workflow timeout, a failed parallel join) are not retried. */
class NodeFailure extends Data.TaggedError("NodeFailure")<{ readonly message: string; readonly final?: boolean }> {}

/** The run cannot go on. */
class RunFailure extends Data.TaggedError("RunFailure")<{ readonly message: string }> {}

/** What a node did: its recorded outputs, what it adds to state, and where the run goes next. */
interface Outcome {
  readonly outputs: JsonObject
  readonly updates: JsonObject
  readonly next: string | undefined
}

/** How one child of a parallel node ended; `skipped` children never started. */
type ChildResult =
  | { readonly status: "succeeded"; readonly updates: JsonObject }
  | { readonly status: "failed"; readonly error: string }
  | { readonly status: "cancelled" | "skipped" }

/** A node ready to run: what is recorded as its inputs, and the work. */
interface Prepared {
  readonly inputs: JsonObject
  readonly body: Effect.Effect<Outcome, NodeFailure>
}

/**
 * Checks a workflow against the registry: every tool and handler a compute node names, and every tool an agent node
 * allows, must be registered. Also checks what a definition built in code (without the loader's validation) could
 * get wrong and the run could not survive: a parallel node listing a missing node, or parallel nodes containing each
 * other. Errors point at the node's line when the definition came from a file.
 */
export const validate = (
  workflow: WorkflowDefinition.WorkflowDefinition
): Effect.Effect<void, WorkflowLoadError, ToolRegistry.ToolRegistry> =>
  Effect.flatMap(ToolRegistry.ToolRegistry, (registry) => {
    const ids = new Set(workflow.nodes.map((node) => node.id))
    const cycle = parallelCycle(workflow.nodes)
    for (const node of workflow.nodes) {
      if (node.type === "parallel") {
        const missing = node.parallelNodes.find((id) => !ids.has(id))
        const problem = missing !== undefined
          ? {
            description: `node '${node.id}' has parallel_nodes entry '${missing}', which is not a node in this workflow`
          }
          : cycle?.[0] === node.id
          ? { description: `parallel node '${node.id}' contains itself: ${cycle.map((id) => `'${id}'`).join(" -> ")}` }
          : undefined
        if (problem !== undefined) return Effect.fail(invalidNode(workflow, node, problem))
      }
      if (node.type !== "compute" && node.type !== "agent") continue
      const unknownTool = node.tools.find((tool) => !registry.tools.has(tool))
      const problem = node.type === "compute" && node.handler !== undefined && !registry.handlers.has(node.handler)
        ? {
          description: `node '${node.id}' uses handler '${node.handler}', which is not registered`,
          hint: `registered handlers: ${ToolRegistry.listNames(registry.handlers.keys())}`
        }
        : unknownTool !== undefined
        ? {
          description: `node '${node.id}' uses unknown tool '${unknownTool}'`,
          hint: `known tools: ${ToolRegistry.listNames(registry.tools.keys())}`
        }
        : undefined
      if (problem === undefined) continue
      return Effect.fail(invalidNode(workflow, node, problem))
    }
    return Effect.void
  })

const invalidNode = (
  workflow: WorkflowDefinition.WorkflowDefinition,
  node: WorkflowDefinition.Node,
  problem: { readonly description: string; readonly hint?: string }
): WorkflowLoadError => {
  const line = workflow.source?.nodeLines[node.id]
  return new WorkflowLoadError({
    reason: "Invalid",
    path: workflow.source?.path ?? workflow.name,
    ...(line === undefined ? {} : { line }),
    nodeId: node.id,
    ...problem
  })
}

/** Reads `input_mapping` (`param: state_key` or `param: $ctx.key`) and resolves `inputs` over it. */
const resolveInputs = (
  node: WorkflowDefinition.ComputeNode,
  state: JsonObject
): Either.Either<JsonObject, string> => {
  const mapped: Record<string, unknown> = {}
  for (const [param, key] of Object.entries(node.inputMapping)) {
    const path = key.replace(/^\$ctx\./, "")
    const value = lookup(state, path)
    if (Option.isNone(value)) {
      return Either.left(`input_mapping '${param}' reads '${path}', which is not in the workflow state`)
    }
    mapped[param] = value.value
  }
  return Either.map(
    Either.mapLeft(Template.resolveObject(node.inputs, state), (error) => error.message),
    (inputs) => ({ ...mapped, ...inputs })
  )
}

const failed = (inputs: JsonObject, message: string): Prepared => ({
  inputs,
  body: Effect.fail(new NodeFailure({ message }))
})

const prepareCompute = (
  node: WorkflowDefinition.ComputeNode,
  next: string | undefined,
  state: JsonObject,
  tracer: WorkflowTracer.WorkflowTracerService,
  registry: ToolRegistry.ToolRegistryService
): Prepared => {
  const resolved = resolveInputs(node, state)
  if (Either.isLeft(resolved)) return failed(node.inputs, resolved.left)
  const inputs = resolved.right
  const key = WorkflowDefinition.outputKey(node)

  if (node.handler !== undefined) {
    const name = node.handler
    const handler = registry.handlers.get(name)
    if (handler === undefined) {
      return failed({ handler: name, inputs }, `handler '${name}' is not registered`)
    }
    return {
      inputs: { handler: name, inputs },
      body: Effect.suspend(() => handler(inputs, { ...state })).pipe(
        Effect.mapError((error) => new NodeFailure({ message: `handler '${name}': ${error.message}` })),
        Effect.catchAllDefect((defect) =>
          Effect.fail(
            new NodeFailure({
              message: `handler '${name}' crashed: ${WorkflowTracer.describeCause(Cause.die(defect))}`
            })
          )
        ),
        Effect.map((value) => ({
          outputs: isPlainObject(value) ? value : { result: value },
          updates: { [key]: value },
          next
        }))
      )
    }
  }

  // Keys named after a tool hold that tool's own inputs; the other keys are shared by every tool.
  const perTool = node.tools.length > 1 && node.tools.some((tool) => Object.hasOwn(inputs, tool))
  const shared = perTool
    ? Object.fromEntries(Object.entries(inputs).filter(([name]) => !node.tools.includes(name)))
    : inputs
  const calls: Array<readonly [string, JsonObject]> = []
  for (const tool of node.tools) {
    const own = perTool ? inputs[tool] : undefined
    if (own !== undefined && !isPlainObject(own)) {
      return failed(inputs, `inputs.${tool} must be a mapping of the ${tool} tool's inputs`)
    }
    calls.push([tool, own === undefined ? shared : { ...shared, ...own }])
  }
  return {
    inputs: Object.fromEntries(calls),
    body: Effect.gen(function*() {
      const outputs: Record<string, unknown> = {}
      for (const [name, toolInputs] of calls) {
        const tool = yield* registry.get(name).pipe(
          Effect.mapError((error) => new NodeFailure({ message: error.message }))
        )
        const result = yield* Effect.either(
          tracer.withToolCall(name, toolInputs, tool.run(toolInputs), (error) => error.message)
        )
        if (Either.isRight(result)) {
          outputs[name] = result.right
        } else if (node.failFast) {
          return yield* new NodeFailure({ message: `${name}: ${result.left.message}` })
        } else {
          outputs[name] = { error: result.left.message }
        }
      }
      return { outputs, updates: { [key]: outputs }, next }
    })
  }
}

/** One model call of an agent, as recorded in its node's `metadata.model_calls`. */
const modelCallRecord = (
  response: AgentProvider.ModelResponse,
  turn: number,
  durationSeconds: number
): JsonObject => ({
  turn,
  model: response.model,
  input_tokens: response.usage.inputTokens,
  output_tokens: response.usage.outputTokens,
  finish_reason: response.finishReason,
  duration_seconds: durationSeconds
})

const prepareAgent = (
  node: WorkflowDefinition.AgentNode,
  next: string | undefined,
  state: JsonObject,
  tracer: WorkflowTracer.WorkflowTracerService,
  registry: ToolRegistry.ToolRegistryService,
  provider: AgentProvider.AgentProviderService
): Prepared => {
  const goal = Template.render(node.goal, state)
  const allowed = new Set(node.tools)
  const key = WorkflowDefinition.outputKey(node)
  const inputs: JsonObject = {
    ...(node.role === undefined ? {} : { role: node.role }),
    goal,
    tools: node.tools,
    tool_budget: node.toolBudget,
    llm_config: node.llmConfig,
    provider: provider.name
  }
  const tools = node.tools.map((name) => ({ name, description: registry.tools.get(name)?.description ?? "" }))
  return {
    inputs,
    body: Effect.gen(function*() {
      const messages: Array<AgentProvider.Message> = [
        ...(node.role === undefined ? [] : [{ role: "system" as const, content: `You are ${node.role}.` }]),
        { role: "user" as const, content: goal }
      ]
      const modelCalls: Array<JsonObject> = []
      let toolCalls = 0
      for (let turn = 1;; turn++) {
        const [elapsed, response] = yield* provider.complete({
          nodeId: node.id,
          ...(node.role === undefined ? {} : { role: node.role }),
          goal,
          tools,
          messages: [...messages],
          llmConfig: node.llmConfig
        }).pipe(
          Effect.timed,
          Effect.mapError((error) => new NodeFailure({ message: `${provider.name} provider: ${error.message}` }))
        )
        const durationSeconds = Duration.toMillis(elapsed) / 1000
        modelCalls.push(modelCallRecord(response, turn, durationSeconds))
        // On the open node as they happen, so a failing agent keeps the model calls it made.
        yield* tracer.annotateNode({ model_calls: [...modelCalls] }).pipe(Effect.ignore)
        yield* tracer.recordEvent(ExecutionEventType.MODEL_CALL_COMPLETED, {
          nodeId: node.id,
          durationSeconds,
          data: {
            model: response.model,
            input_tokens: response.usage.inputTokens,
            output_tokens: response.usage.outputTokens,
            finish_reason: response.finishReason,
            turn
          }
        }).pipe(Effect.mapError((error) => new NodeFailure({ message: error.message })))
        messages.push({
          role: "assistant",
          ...(response.text === undefined ? {} : { content: response.text }),
          toolCalls: response.toolCalls
        })
        if (response.toolCalls.length === 0) {
          if (response.finishReason === "error" || response.text === undefined) {
            return yield* new NodeFailure({
              message: `agent '${node.id}': the model ended turn ${turn} without a final answer or tool calls ` +
                `(finish_reason: ${response.finishReason})`
            })
          }
          const outputs: JsonObject = { response: response.text, success: true, tool_calls: toolCalls, error: null }
          return { outputs, updates: { [key]: outputs }, next }
        }
        for (const call of response.toolCalls) {
          if (toolCalls === node.toolBudget) {
            return yield* new NodeFailure({
              message: `agent '${node.id}' used its tool budget of ${node.toolBudget} tool calls without a final ` +
                "answer; raise tool_budget or check the goal"
            })
          }
          toolCalls++
          // A tool the node does not allow is recorded as a failed call and reported back to the model, never run.
          const tool = allowed.has(call.name)
            ? registry.get(call.name)
            : Effect.fail(
              new ToolRegistry.ToolError({
                reason: "UnknownTool",
                tool: call.name,
                description: `tool '${call.name}' is not allowed for agent '${node.id}' (allowed: ${
                  ToolRegistry.listNames(allowed)
                })`
              })
            )
          // A failing tool is reported back to the model too: the agent may recover (a compute node would fail).
          const result = yield* Effect.either(
            tracer.withToolCall(
              call.name,
              call.arguments,
              Effect.flatMap(tool, (found) => found.run(call.arguments)),
              (error) => error.message
            )
          )
          messages.push({
            role: "tool",
            toolCallId: call.id,
            name: call.name,
            content: Either.isRight(result) ? result.right : { error: result.left.message },
            isError: Either.isLeft(result)
          })
        }
      }
    })
  }
}

/** The message of a hitl node that runs without a `HumanInput` service. */
const noHumanInput = (nodeId: string): string =>
  `hitl node '${nodeId}' needs a human-input provider, and none was given: provide HumanInput ` +
  "(HumanInput.layerAnswers answers non-interactively; the CLI prompts at a terminal or takes " +
  "--context '{\"hitl\": ...}' or --yes)"

const prepareHitl = (
  node: WorkflowDefinition.HitlNode,
  next: string | undefined,
  state: JsonObject,
  tracer: WorkflowTracer.WorkflowTracerService,
  human: Option.Option<HumanInput.HumanInputService>
): Prepared => {
  const prompt = Template.render(node.prompt, state)
  // A context key that is not in state is shown as null, so the human sees that it is missing.
  const context: JsonObject = Object.fromEntries(
    node.contextKeys.map((key) => [key, Option.getOrNull(lookup(state, key))])
  )
  const inputs: JsonObject = { hitl_type: node.hitlType, prompt, context, choices: node.choices }
  const request: HumanInput.HitlRequest = {
    nodeId: node.id,
    hitlType: node.hitlType,
    prompt,
    context,
    choices: node.choices,
    defaultValue: node.defaultValue,
    timeoutSeconds: node.timeout
  }
  const yesNo = HumanInput.isYesNo(node.hitlType)
  const key = WorkflowDefinition.outputKey(node)
  const record = (eventType: ExecutionEventType, options: WorkflowTracer.RecordEventOptions) =>
    tracer.recordEvent(eventType, { nodeId: node.id, ...options }).pipe(
      Effect.mapError((error) => new NodeFailure({ message: error.message }))
    )
  const done = (answer: unknown, timedOut: boolean): Outcome => {
    // Only an answered `true` or the `continue` fallback get here: a yes/no node that gets here is approved.
    const outputs: JsonObject = { ...(yesNo ? { approved: true } : {}), value: answer, timed_out: timedOut }
    return { outputs, updates: { [key]: outputs }, next }
  }
  return {
    inputs,
    body: Effect.gen(function*() {
      if (Option.isNone(human)) return yield* new NodeFailure({ message: noHumanInput(node.id), final: true })
      yield* record(ExecutionEventType.HITL_REQUESTED, {
        data: { hitl_type: node.hitlType, prompt, choices: node.choices }
      })
      const result = yield* human.value.ask(request).pipe(
        Effect.timeout(Duration.seconds(node.timeout)),
        Effect.either
      )
      if (Either.isRight(result)) {
        const answer = result.right
        yield* record(ExecutionEventType.HITL_RESOLVED, { data: { answer, timed_out: false } })
        // A rejection is the human's decision: it ends the run and is not asked again by a retry.
        if (yesNo && answer === false) {
          return yield* new NodeFailure({ message: `'${node.id}' was not approved`, final: true })
        }
        return done(answer, false)
      }
      const error = result.left
      if (error._tag === "HumanInputError" && error.reason !== "NoAnswer") {
        yield* record(ExecutionEventType.HITL_RESOLVED, {
          data: { answer: null, timed_out: false },
          error: error.message
        })
        return yield* new NodeFailure({ message: error.message })
      }
      // Nobody answered (in time): the fallback decides.
      const noAnswer = error._tag === "HumanInputError"
        ? error.message
        : `no answer for '${node.id}' within ${node.timeout}s (fallback: ${node.fallback})`
      yield* record(ExecutionEventType.HITL_RESOLVED, { data: { answer: null, timed_out: true }, error: noAnswer })
      switch (node.fallback) {
        case "abort":
          return yield* new NodeFailure({ message: noAnswer, final: true })
        case "continue":
          return done(node.defaultValue ?? (yesNo ? true : null), true)
        case "skip":
          yield* record(ExecutionEventType.NODE_SKIPPED, { data: { reason: noAnswer, fallback: "skip" } })
          return { outputs: { skipped: true }, updates: {}, next }
      }
    })
  }
}

const prepareCondition = (
  node: WorkflowDefinition.ConditionNode,
  state: JsonObject,
  registry: ToolRegistry.ToolRegistryService
): Prepared => {
  const parsed = Expression.parse(node.condition)
  if (Either.isLeft(parsed)) return failed({ expression: node.condition }, parsed.left.message)
  const name = Expression.bareName(parsed.right)
  const named = name === undefined ? undefined : registry.conditions.get(name)
  // A registered condition wins over a state key of the same name.
  const evaluated: Either.Either<unknown, string> = named !== undefined
    ? Either.try({
      try: () => named({ ...state }),
      catch: (error) => `condition '${name}' failed: ${error instanceof Error ? error.message : String(error)}`
    })
    : Either.mapLeft(
      Expression.evaluate(parsed.right, state),
      (error) =>
        name === undefined
          ? error.message
          : `${error.message}, and no registered condition is named '${name}' (registered: ${
            ToolRegistry.listNames(registry.conditions.keys())
          })`
    )
  if (Either.isLeft(evaluated)) return failed({ expression: node.condition }, evaluated.left)
  const value = evaluated.right
  const text = Expression.toText(value)
  const branch = Object.hasOwn(node.branches, text)
    ? text
    : Object.hasOwn(node.branches, "default")
    ? "default"
    : undefined
  const inputs = { expression: node.condition, value }
  if (branch === undefined) {
    return failed(
      inputs,
      `condition ${JSON.stringify(node.condition)} evaluated to ${JSON.stringify(text)}, which matches no branch ` +
        `(branches: ${Object.keys(node.branches).join(", ")}) and there is no 'default' branch`
    )
  }
  const next = node.branches[branch]!
  return { inputs, body: Effect.succeed({ outputs: { value, branch, next }, updates: {}, next }) }
}

const prepareTransform = (
  node: WorkflowDefinition.TransformNode,
  next: string | undefined,
  state: JsonObject
): Prepared => {
  const inputs = { expressions: Assignments.lines(node.transform).map((line) => line.text) }
  const parsed = Assignments.parse(node.transform)
  if (Either.isLeft(parsed)) return failed(inputs, parsed.left.description)
  // Each line sees the assignments above it; state changes only when every line succeeded.
  const scratch: Record<string, unknown> = { ...state }
  const assigned: Record<string, unknown> = {}
  for (const { key, expression } of parsed.right) {
    const value = Expression.evaluate(expression, scratch)
    if (Either.isLeft(value)) return failed(inputs, `${key}: ${value.left.message}`)
    scratch[key] = value.right
    assigned[key] = value.right
  }
  const updates = node.output === undefined ? assigned : { ...assigned, [node.output]: assigned }
  return {
    inputs,
    body: Effect.succeed({ outputs: assigned, updates, next })
  }
}

/** `'a': error; 'b': error` for the failed children of a parallel node. */
const describeFailures = (
  members: ReadonlyArray<WorkflowDefinition.Node>,
  results: ReadonlyArray<ChildResult>
): string =>
  results.flatMap((result, i) => result.status === "failed" ? [`'${members[i]!.id}': ${result.error}`] : []).join("; ")

/** Runs a workflow, traced; never fails: a failed, timed-out or cancelled run is a result with that status. */
export const execute = (
  workflow: WorkflowDefinition.WorkflowDefinition,
  options: ExecuteOptions = {}
): Effect.Effect<ExecutionResult, never, WorkflowTracer.WorkflowTracer | ToolRegistry.ToolRegistry> =>
  Effect.gen(function*() {
    const tracer = yield* WorkflowTracer.WorkflowTracer
    const registry = yield* ToolRegistry.ToolRegistry
    // Optional, so that programs without agent nodes need not provide one; an agent node without it fails clearly.
    const provider = Option.getOrElse(
      yield* Effect.serviceOption(AgentProvider.AgentProvider),
      () => AgentProvider.none
    )
    // Optional too: only hitl nodes need it, and they fail saying so without it.
    const human = yield* Effect.serviceOption(HumanInput.HumanInput)
    const context = options.context ?? {}
    const state: Record<string, unknown> = { ...context }
    const { maxRetries, timeout, defaultNodeTimeout } = workflow.settings
    const maxIterations = options.maxIterations ?? workflow.settings.maxIterations
    const indexOf = new Map(workflow.nodes.map((node, index) => [node.id, index]))
    const children = WorkflowDefinition.parallelChildren(workflow.nodes)
    const successors = workflow.nodes.map((_, index) => successor(workflow.nodes, index, children))
    const concurrency = options.concurrency ?? defaultConcurrency
    const limit = concurrency === Infinity ? "unbounded" as const : concurrency
    // Visits per node id, children included, for the `iteration` of repeated visits.
    const visitsOf = new Map<string, number>()
    const visit = (id: string): number => {
      const count = (visitsOf.get(id) ?? 0) + 1
      visitsOf.set(id, count)
      return count
    }

    // A parallel node: its children run on copies of `view`; what it returns is their merged updates.
    const prepareParallel = (
      node: WorkflowDefinition.ParallelNode,
      next: string | undefined,
      view: JsonObject,
      deadline: number | undefined
    ): Prepared => {
      const snapshot: JsonObject = { ...view }
      const members = node.parallelNodes.map((id) => workflow.nodes[indexOf.get(id)!]!)
      const strategy = node.joinStrategy
      return {
        inputs: { parallel_nodes: node.parallelNodes, join_strategy: strategy, concurrency: limit },
        body: Effect.suspend(() => {
          const results: Array<ChildResult> = members.map(() => ({ status: "skipped" }))
          // A child interrupted before it started stays `skipped`: it has no node record.
          const started = members.map(() => false)
          const runChild = (child: WorkflowDefinition.Node, i: number): Effect.Effect<ChildResult> =>
            Effect.suspend(() => {
              started[i] = true
              return attemptNode(child, { ...snapshot }, undefined, visit(child.id), deadline)
            }).pipe(
              Effect.onInterrupt(() =>
                Effect.sync(() => {
                  if (started[i]) results[i] = { status: "cancelled" }
                })
              ),
              Effect.either,
              Effect.map((result) =>
                results[i] = Either.isRight(result)
                  ? { status: "succeeded", updates: result.right.updates }
                  : { status: "failed", error: result.left.message }
              )
            )
          // The indices of the children whose updates are merged, in list order. `first` turns a success into a
          // failure, so that `forEach` stops there and interrupts the other children (and starts no more).
          const join: Effect.Effect<ReadonlyArray<number>> = strategy === "first"
            ? Effect.forEach(
              members,
              (child, i) =>
                Effect.flatMap(runChild(child, i), (result) =>
                  result.status === "succeeded" ? Effect.fail(i) : Effect.void),
              { concurrency: limit, discard: true }
            ).pipe(Effect.flip, Effect.map((winner) => [winner]), Effect.orElseSucceed(() => []))
            : Effect.map(
              Effect.forEach(members, runChild, { concurrency: limit }),
              (done) => done.flatMap((result, i) => (result.status === "succeeded" ? [i] : []))
            )
          return Effect.flatMap(join, (merged): Effect.Effect<Outcome, NodeFailure> => {
            const failedCount = results.filter((result) => result.status === "failed").length
            if (strategy === "all" && failedCount > 0) {
              return Effect.fail(
                new NodeFailure({
                  message: `${failedCount} of ${members.length} children failed: ${describeFailures(members, results)}`,
                  final: true
                })
              )
            }
            if (merged.length === 0) {
              return Effect.fail(
                new NodeFailure({
                  message: `no child succeeded (join_strategy: ${strategy}): ${describeFailures(members, results)}`,
                  final: true
                })
              )
            }
            const updates: Record<string, unknown> = {}
            for (const i of merged) {
              const result = results[i]!
              if (result.status === "succeeded") Object.assign(updates, result.updates)
            }
            const errors = Object.fromEntries(
              results.flatMap((result, i) => (result.status === "failed" ? [[members[i]!.id, result.error]] : []))
            )
            const outputs: JsonObject = {
              join_strategy: strategy,
              children: Object.fromEntries(results.map((result, i) => [members[i]!.id, result.status])),
              ...(strategy === "first" ? { winner: members[merged[0]!]!.id } : {}),
              ...(failedCount === 0 ? {} : { errors })
            }
            return Effect.succeed({
              outputs,
              updates: node.output === undefined ? updates : { ...updates, [node.output]: outputs },
              next
            })
          })
        })
      }
    }

    // One attempt at a node over `view`; the caller decides what to do with its updates.
    const runNode = (
      node: WorkflowDefinition.Node,
      view: JsonObject,
      next: string | undefined,
      iteration: number,
      attempt: number,
      deadline: number | undefined
    ): Effect.Effect<Outcome, NodeFailure> =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const remaining = deadline === undefined ? undefined : (deadline - now) / 1000
        const workflowTimeout = `workflow '${workflow.name}' timed out after ${timeout ?? 0}s`
        if (remaining !== undefined && remaining <= 0) {
          return yield* new NodeFailure({ message: workflowTimeout, final: true })
        }
        // The default node timeout bounds each child of a parallel node, not the whole fan-out. A hitl node's
        // `timeout` is how long it waits for its answer, with its own fallback: only the workflow's limit bounds it.
        const nodeTimeout = node.type === "hitl"
          ? undefined
          : node.timeout ?? (node.type === "parallel" ? undefined : defaultNodeTimeout)
        const bound = remaining !== undefined && (nodeTimeout === undefined || remaining < nodeTimeout)
          ? { seconds: remaining, failure: new NodeFailure({ message: workflowTimeout, final: true }) }
          : nodeTimeout === undefined
          ? undefined
          : {
            seconds: nodeTimeout,
            failure: new NodeFailure({ message: `node '${node.id}' timed out after ${nodeTimeout}s` })
          }
        const prepared = node.type === "agent"
          ? prepareAgent(node, next, view, tracer, registry, provider)
          : node.type === "compute"
          ? prepareCompute(node, next, view, tracer, registry)
          : node.type === "condition"
          ? prepareCondition(node, view, registry)
          : node.type === "parallel"
          ? prepareParallel(node, next, view, deadline)
          : node.type === "hitl"
          ? prepareHitl(node, next, view, tracer, human)
          : prepareTransform(node, next, view)
        const body = bound === undefined ? prepared.body : prepared.body.pipe(
          Effect.timeoutFail({ duration: Duration.seconds(bound.seconds), onTimeout: () => bound.failure })
        )
        // Every visit is its own record, numbered (1 for the first).
        const metadata = { iteration, ...(attempt > 1 ? { attempt } : {}) }
        return yield* tracer.withNode(
          {
            nodeId: node.id,
            nodeType: node.type,
            inputs: prepared.inputs,
            metadata
          },
          body,
          (result) => ({ outputs: result.outputs })
        ).pipe(
          Effect.catchTag("TracerError", (error) => Effect.fail(new NodeFailure({ message: error.message })))
        )
      })

    // A node with its retries: fails with the last attempt's failure.
    const attemptNode = (
      node: WorkflowDefinition.Node,
      view: JsonObject,
      next: string | undefined,
      iteration: number,
      deadline: number | undefined
    ): Effect.Effect<Outcome, NodeFailure> =>
      Effect.gen(function*() {
        for (let attempt = 1;; attempt++) {
          const result = yield* Effect.either(runNode(node, view, next, iteration, attempt, deadline))
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
        const outcome: Outcome = yield* attemptNode(node, state, successors[index], visit(current), deadline).pipe(
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
          ...(options.traceId === undefined ? {} : { traceId: options.traceId })
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
 * cancelled event. The run belongs to the stream: stopping the stream early cancels the run (its trace is stored as
 * `cancelled`).
 */
export const executeStream = (
  workflow: WorkflowDefinition.WorkflowDefinition,
  options: ExecuteOptions = {}
): Stream.Stream<ExecutionEvent, never, WorkflowTracer.WorkflowTracer | ToolRegistry.ToolRegistry> =>
  Stream.unwrapScoped(
    Effect.gen(function*() {
      const mailbox = yield* Mailbox.make<ExecutionEvent>()
      const handler = TraceHandler.make("@victor/workflow/executeStream", {
        onEvent: (event) => Effect.asVoid(mailbox.offer(event))
      })
      yield* execute(workflow, options).pipe(
        TraceHandler.provideMore(handler),
        Effect.ensuring(mailbox.end),
        Effect.forkScoped
      )
      return Mailbox.toStream(mailbox).pipe(Stream.takeUntil((event) => endEvents.has(event.eventType)))
    })
  )
