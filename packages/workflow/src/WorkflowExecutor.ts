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
 * - compute: `inputs` (and `input_mapping`, which reads state keys) are resolved with `Template.resolve`, except a
 *   tool's code inputs (`Tool.codeInputs`: the shell's `command`), rendered with every value quoted. With one
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
 * - compute `handler:` and condition names come from `FunctionRegistry` (the built-in one when none is provided); a
 *   handler may call the tools its node lists (`tools:`), each traced as a tool call of the node.
 * - workflow (sub-workflow): the child runs with the same services in a fiber of its own, with its own trace (stored
 *   like any other) whose `parent_trace_id` is this run and whose `trace_parent` is the W3C `traceparent` of this
 *   node (`00-<trace id>-<span id>-01`: the trace id the whole tree shares, the node's span id from
 *   `TraceContext.spanIdOf`). The node's metadata links `child_trace_id`. Its context is `input_mapping` resolved
 *   against state (a copy of the state without one); a child that does not succeed fails the node with its error.
 *   `output_mapping` copies child keys back; the child's final state is stored under `output` (default the node id)
 *   unless an `output_mapping` is given without an `output`.
 * - Trace context: `ExecuteOptions.traceParent` / `parentTraceId` become the trace's parents; processes started by
 *   the tools of a compute or agent node get `TRACEPARENT` (the node's span) and `TRACESTATE` (`victor=<trace id>`)
 *   through `ToolRegistry.currentEnvironment`.
 */
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
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
import * as Expression from "./Expression.ts"
import * as FunctionRegistry from "./FunctionRegistry.ts"
import * as HumanInput from "./HumanInput.ts"
import * as Assignments from "./internal/assignments.ts"
import { successor } from "./internal/graph.ts"
import { isPlainObject, lookup } from "./internal/plainData.ts"
import * as Template from "./Template.ts"
import * as ToolRegistry from "./ToolRegistry.ts"
import * as WorkflowDefinition from "./WorkflowDefinition.ts"
import { WorkflowLoadError } from "./WorkflowLoader.ts"
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

// An outcome is its node's end as the tracer reads it (only `outputs` of its fields): no copy per node.
const outcomeEnd = (outcome: Outcome): WorkflowTracer.EndNodeOptions => outcome

// A node the tracer refused to record (no trace) fails as a node does.
const nodeFailureOf = (error: NodeFailure | WorkflowTracer.TracerError): NodeFailure =>
  error._tag === "TracerError" ? new NodeFailure({ message: error.message }) : error

/** How one child of a parallel node ended; `skipped` children never started. */
type ChildResult =
  | { readonly status: "succeeded"; readonly updates: JsonObject }
  | { readonly status: "failed"; readonly error: string }
  | { readonly status: "cancelled" | "skipped" }

/** A node ready to run: what is recorded as its inputs, and the work. */
interface Prepared {
  readonly inputs: JsonObject
  readonly body: Effect.Effect<Outcome, NodeFailure>
  /** Added to the node record's metadata when it starts. */
  readonly metadata?: JsonObject
}

const bareKey = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*$/

/**
 * A sub-workflow's context: without `input_mapping` a copy of the state; with it, each child key gets `$ctx.key` or
 * a bare state key's value, or a template rendered against the state.
 */
const childContext = (
  node: WorkflowDefinition.WorkflowNode,
  state: JsonObject
): Either.Either<JsonObject, string> => {
  const entries = Object.entries(node.inputMapping)
  if (entries.length === 0) return Either.right({ ...state })
  const context: Record<string, unknown> = {}
  for (const [key, source] of entries) {
    if (bareKey.test(source)) {
      const value = lookup(state, source)
      if (Option.isNone(value)) {
        return Either.left(`input_mapping '${key}' reads '${source}', which is not in the workflow state`)
      }
      context[key] = value.value
      continue
    }
    const value = Template.resolve(source, state)
    if (Either.isLeft(value)) return Either.left(`input_mapping '${key}': ${value.left.message}`)
    context[key] = value.right
  }
  return Either.right(context)
}

/**
 * Checks a workflow against the registries before it runs: every tool a compute or agent node names, every compute
 * handler and named condition (`FunctionRegistry`, the built-in one when none is provided), parallel nodes that name
 * missing nodes or contain each other (which a definition built in code could get wrong), and the same for every
 * sub-workflow. Fails with the first error, pointing at the node's line and column when the definition came from a
 * file; `WorkflowValidation.check` gives every finding, warnings included.
 */
export const validate = (
  workflow: WorkflowDefinition.WorkflowDefinition
): Effect.Effect<void, WorkflowLoadError, ToolRegistry.ToolRegistry> =>
  Effect.flatMap(WorkflowValidation.check(workflow), (findings) => {
    const first = WorkflowValidation.errors(findings)[0]
    return first === undefined ? Effect.void : Effect.fail(
      new WorkflowLoadError({
        reason: "Invalid",
        path: first.path,
        ...(first.line === undefined ? {} : { line: first.line }),
        ...(first.column === undefined ? {} : { column: first.column }),
        ...(first.nodeId === undefined ? {} : { nodeId: first.nodeId }),
        description: first.description,
        ...(first.hint === undefined ? {} : { hint: first.hint })
      })
    )
  })

/**
 * Reads `input_mapping` (`param: state_key` or `param: $ctx.key`) and resolves `inputs` over it. An input that the
 * tool declares as code (`Tool.codeInputs`) is rendered by the tool's own template, which quotes every value, and a
 * mapped state value given to such an input is quoted whole: a value from state never becomes code.
 */
const resolveInputs = (
  node: WorkflowDefinition.ComputeNode,
  inputs: JsonObject,
  state: JsonObject,
  code: Readonly<Record<string, ToolRegistry.CodeTemplate>> = {}
): Either.Either<JsonObject, string> => {
  const resolved: Record<string, unknown> = {}
  for (const [param, key] of Object.entries(node.inputMapping)) {
    const path = key.replace(/^\$ctx\./, "")
    const value = lookup(state, path)
    if (Option.isNone(value)) {
      return Either.left(`input_mapping '${param}' reads '${path}', which is not in the workflow state`)
    }
    const render = Object.hasOwn(code, param) ? code[param] : undefined
    if (render === undefined) {
      resolved[param] = value.value
      continue
    }
    const quoted = render.render(`{{ $ctx.${path} }}`, state)
    if (Either.isLeft(quoted)) return Either.left(`input_mapping '${param}': ${quoted.left.message}`)
    resolved[param] = quoted.right
  }
  for (const [param, template] of Object.entries(inputs)) {
    const render = Object.hasOwn(code, param) ? code[param] : undefined
    const value = render !== undefined && typeof template === "string"
      ? Either.mapLeft(render.render(template, state), (error) => `${param}: ${error.message}`)
      : Either.mapLeft(Template.resolve(template, state), (error) => error.message)
    if (Either.isLeft(value)) return Either.left(value.left)
    resolved[param] = value.right
  }
  return Either.right(resolved)
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
  registry: ToolRegistry.ToolRegistryService,
  functions: FunctionRegistry.FunctionRegistryService
): Prepared => {
  const key = WorkflowDefinition.outputKey(node)

  if (node.handler !== undefined) {
    const resolved = resolveInputs(node, node.inputs, state)
    if (Either.isLeft(resolved)) return failed(node.inputs, resolved.left)
    const inputs = resolved.right
    const name = node.handler
    const handler = functions.handlers.get(name)
    if (handler === undefined) {
      return failed({ handler: name, inputs }, `handler '${name}' is not registered`)
    }
    // The handler may call the node's own tools, each traced as a tool call of the node.
    const allowed = new Set(node.tools)
    const tools: FunctionRegistry.HandlerTools = {
      names: node.tools,
      call: (tool, toolInputs) =>
        allowed.has(tool)
          ? Effect.flatMap(registry.get(tool), (found) =>
            tracer.withToolCall(tool, toolInputs, found.run(toolInputs), ToolRegistry.describeToolError).pipe(
              Effect.catchTag("TracerError", (error) =>
                Effect.fail(new ToolRegistry.ToolError({ reason: "Failed", tool, description: error.message })))
            ))
          : Effect.fail(
            new ToolRegistry.ToolError({
              reason: "UnknownTool",
              tool,
              description: `handler '${name}' called tool '${tool}', which node '${node.id}' does not list in ` +
                `'tools' (listed: ${ToolRegistry.listNames(allowed)})`
            })
          )
    }
    return {
      inputs: { handler: name, inputs, ...(node.tools.length === 0 ? {} : { tools: node.tools }) },
      body: Effect.suspend(() => handler(inputs, { ...state }, tools)).pipe(
        Effect.mapError((error) => new NodeFailure({ message: `handler '${name}': ${error.message}` })),
        Effect.catchAllDefect((defect) =>
          Effect.fail(
            new NodeFailure({
              message: `handler '${name}' crashed: ${WorkflowTracer.describeCause(Cause.die(defect))}`
            })
          )
        ),
        Effect.map((value): Outcome => ({
          outputs: isPlainObject(value) ? value : { result: value },
          updates: { [key]: value },
          next
        }))
      )
    }
  }

  // No handler and no tools: the node passes its resolved inputs through as its output (as Victor does).
  if (node.tools.length === 0) {
    const resolved = resolveInputs(node, node.inputs, state)
    if (Either.isLeft(resolved)) return failed(node.inputs, resolved.left)
    const outputs = resolved.right
    return { inputs: outputs, body: Effect.succeed({ outputs, updates: { [key]: outputs }, next }) }
  }
  // Keys named after a tool hold that tool's own inputs; the other keys are shared by every tool. Each tool's
  // inputs are resolved for that tool, so that its code inputs are rendered by its own template.
  const written = node.inputs
  const perTool = node.tools.length > 1 && node.tools.some((tool) => Object.hasOwn(written, tool))
  const shared = perTool
    ? Object.fromEntries(Object.entries(written).filter(([name]) => !node.tools.includes(name)))
    : written
  const calls: Array<readonly [string, JsonObject]> = []
  for (const tool of node.tools) {
    const own = perTool ? written[tool] : undefined
    if (own !== undefined && !isPlainObject(own)) {
      return failed(written, `inputs.${tool} must be a mapping of the ${tool} tool's inputs`)
    }
    const resolved = resolveInputs(
      node,
      own === undefined ? shared : { ...shared, ...own },
      state,
      registry.tools.get(tool)?.codeInputs
    )
    if (Either.isLeft(resolved)) return failed(written, resolved.left)
    calls.push([tool, resolved.right])
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
          tracer.withToolCall(name, toolInputs, tool.run(toolInputs), ToolRegistry.describeToolError)
        )
        if (Either.isRight(result)) {
          outputs[name] = result.right
        } else if (node.failFast) {
          return yield* new NodeFailure({ message: `${name}: ${result.left.message}` })
        } else {
          const evidence = result.left._tag === "ToolError" ? result.left.evidence : undefined
          outputs[name] = { ...evidence, error: result.left.message }
        }
      }
      return { outputs, updates: { [key]: outputs }, next }
    })
  }
}

/**
 * One model call of an agent, as recorded in its node's `metadata.model_calls`; `tool_call_ids` are the provider's
 * ids of the tool calls the model asked for, in order (the node's tool call records follow the same order).
 */
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
  duration_seconds: durationSeconds,
  ...(response.toolCalls.length === 0 ? {} : { tool_call_ids: response.toolCalls.map((call) => call.id) })
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
    provider: provider.name,
    ...(node.instructions === undefined ? {} : { instructions: node.instructions })
  }
  const system = node.role === undefined
    ? node.instructions
    : node.instructions === undefined
    ? `You are ${node.role}.`
    : `You are ${node.role}.\n\n${node.instructions}`
  // Fields Victor's files carry that have no meaning here beyond the trace (see WorkflowDefinition).
  const carried = node.profile === undefined && node.disableEmbeddings === undefined && node.sandboxDir === undefined
    ? undefined
    : {
      ...(node.profile === undefined ? {} : { profile: node.profile }),
      ...(node.disableEmbeddings === undefined ? {} : { disable_embeddings: node.disableEmbeddings }),
      ...(node.sandboxDir === undefined ? {} : { sandbox_dir: node.sandboxDir })
    }
  const tools = node.tools.map((name) => {
    const tool = registry.tools.get(name)
    return {
      name,
      description: tool?.description ?? "",
      ...(tool?.inputSchema === undefined ? {} : { inputSchema: tool.inputSchema })
    }
  })
  return {
    inputs,
    ...(carried === undefined ? {} : { metadata: carried }),
    body: Effect.gen(function*() {
      const messages: Array<AgentProvider.Message> = [
        ...(system === undefined ? [] : [{ role: "system" as const, content: system }]),
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
              ToolRegistry.describeToolError
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
  functions: FunctionRegistry.FunctionRegistryService,
  now: number
): Prepared => {
  const parsed = Expression.parse(node.condition)
  if (Either.isLeft(parsed)) return failed({ expression: node.condition }, parsed.left.message)
  const name = Expression.bareName(parsed.right)
  const named = name === undefined ? undefined : functions.conditions.get(name)
  // A registered condition wins over a state key of the same name.
  const evaluated: Either.Either<unknown, string> = named !== undefined
    ? Either.try({
      try: () => named({ ...state }),
      catch: (error) => `condition '${name}' failed: ${error instanceof Error ? error.message : String(error)}`
    })
    : Either.mapLeft(
      Expression.evaluate(parsed.right, state, { now }),
      (error) =>
        name === undefined
          ? error.message
          : `${error.message}, and no registered condition is named '${name}' (registered: ${
            ToolRegistry.listNames(functions.conditions.keys())
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

// What a transform node's record shows as its inputs depends on its definition alone: made once per node, not per
// visit, so that a trace of many visits does not hold as many copies.
const inputsOfTransform = new WeakMap<WorkflowDefinition.TransformNode, JsonObject>()
const transformInputs = (node: WorkflowDefinition.TransformNode): JsonObject => {
  let inputs = inputsOfTransform.get(node)
  if (inputs === undefined) {
    const name = WorkflowDefinition.namedTransform(node)
    inputs = name === undefined
      ? Object.freeze({ expressions: Object.freeze(Assignments.lines(node.transform).map((line) => line.text)) })
      : Object.freeze({ transform: name })
    inputsOfTransform.set(node, inputs)
  }
  return inputs
}

// The metadata of most records: a node's first visit, first attempt.
const firstVisit: JsonObject = Object.freeze({ iteration: 1 })

const prepareTransform = (
  node: WorkflowDefinition.TransformNode,
  next: string | undefined,
  state: JsonObject,
  now: number,
  functions: FunctionRegistry.FunctionRegistryService
): Prepared => {
  const inputs = transformInputs(node)
  // A named transform's inputs are `{ transform: name }` (made once per node, see `transformInputs`).
  const name = inputs.transform as string | undefined
  if (name !== undefined) {
    const transform = functions.transforms.get(name)
    if (transform === undefined) return failed(inputs, `transform '${name}' is not registered`)
    return {
      inputs,
      body: Effect.suspend(() => {
        const result = transform({ ...state })
        return Effect.isEffect(result) ? result : Effect.succeed(result)
      }).pipe(
        Effect.mapError((error) => new NodeFailure({ message: `transform '${name}': ${error.message}` })),
        Effect.catchAllDefect((defect) =>
          Effect.fail(
            new NodeFailure({
              message: `transform '${name}' crashed: ${WorkflowTracer.describeCause(Cause.die(defect))}`
            })
          )
        ),
        Effect.map((assigned) => ({
          outputs: assigned,
          updates: node.output === undefined ? assigned : { ...assigned, [node.output]: assigned },
          next
        }))
      )
    }
  }
  const parsed = Assignments.parse(node.transform)
  if (Either.isLeft(parsed)) return failed(inputs, parsed.left.description)
  const assignments = parsed.right
  // Evaluated inside the node, so that the time its expressions take is the node's duration.
  return {
    inputs,
    body: Effect.suspend(() => {
      // Each line sees the assignments above it; state changes only when every line succeeded.
      const scratch: Record<string, unknown> = { ...state }
      const assigned: Record<string, unknown> = {}
      for (const { key, expression } of assignments) {
        const value = Expression.evaluate(expression, scratch, { now })
        if (Either.isLeft(value)) return Effect.fail(new NodeFailure({ message: `${key}: ${value.left.message}` }))
        scratch[key] = value.right
        assigned[key] = value.right
      }
      const updates = node.output === undefined ? assigned : { ...assigned, [node.output]: assigned }
      return Effect.succeed({ outputs: assigned, updates, next })
    })
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
    // Optional: the built-in conditions and handlers without one.
    const functions = yield* FunctionRegistry.current
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

    // A team node: its members run as agent nodes under it (see `WorkflowDefinition.TeamNode`), in order (each given
    // the previous answer as `team_previous`) or at once; its output is every member's answer.
    const prepareTeam = (
      node: WorkflowDefinition.TeamNode,
      next: string | undefined,
      view: JsonObject,
      deadline: number | undefined
    ): Prepared => {
      const members = WorkflowDefinition.teamMembers(node)
      const formation = node.teamFormation
      const inParallel = formation === "parallel" || formation === "consensus"
      const carried: Record<string, unknown> = {}
      if (node.mergeStrategy !== undefined) carried.merge_strategy = node.mergeStrategy
      if (node.mergeMode !== undefined) carried.merge_mode = node.mergeMode
      if (node.maxIterations !== undefined) carried.max_iterations = node.maxIterations
      if (node.totalToolBudget !== undefined) carried.total_tool_budget = node.totalToolBudget
      if (node.sharedContext !== undefined) carried.shared_context = node.sharedContext
      const key = WorkflowDefinition.outputKey(node)
      return {
        inputs: {
          team_formation: formation,
          members: node.members.map((member) => member.id),
          continue_on_error: node.continueOnError
        },
        ...(Object.keys(carried).length === 0 ? {} : { metadata: carried }),
        body: Effect.gen(function*() {
          const answers: Record<string, unknown> = {}
          const errors: Record<string, string> = {}
          const runMember = (member: WorkflowDefinition.AgentNode, i: number, memberView: JsonObject) =>
            Effect.either(attemptNode(member, memberView, undefined, visit(member.id), deadline)).pipe(
              Effect.map((result) => {
                const id = node.members[i]!.id
                if (Either.isRight(result)) answers[id] = result.right.outputs
                else errors[id] = result.left.message
                return result
              })
            )
          let last: unknown = undefined
          if (inParallel) {
            const results = yield* Effect.forEach(members, (member, i) => runMember(member, i, { ...view }), {
              concurrency: limit
            })
            for (const result of results) if (Either.isRight(result)) last = result.right.outputs
          } else {
            for (const [i, member] of members.entries()) {
              const memberView = last === undefined ? { ...view } : { ...view, team_previous: last }
              const result = yield* runMember(member, i, memberView)
              if (Either.isRight(result)) last = result.right.outputs
              else if (!node.continueOnError) break
            }
          }
          const failures = Object.entries(errors)
          if (failures.length > 0 && (!node.continueOnError || failures.length === members.length)) {
            return yield* new NodeFailure({
              message: `${failures.length} of ${members.length} team members failed: ${
                failures.map(([id, error]) => `'${id}': ${error}`).join("; ")
              }`,
              final: true
            })
          }
          const response = isPlainObject(last) && typeof last.response === "string" ? last.response : null
          const outputs: JsonObject = {
            formation,
            members: answers,
            response,
            success: failures.length === 0,
            ...(failures.length === 0 ? {} : { errors })
          }
          return { outputs, updates: { [key]: outputs }, next }
        })
      }
    }

    // A sub-workflow: the child runs in a fiber of its own (so that its trace never becomes this fiber's current
    // one), with its own trace whose parents are this run and this node's span.
    const prepareWorkflow = (
      node: WorkflowDefinition.WorkflowNode,
      next: string | undefined,
      view: JsonObject,
      iteration: number,
      attempt: number
    ): Prepared => {
      const child = workflow.subWorkflows?.[node.id]
      const mapped = childContext(node, view)
      const inputs: JsonObject = {
        workflow: child?.name ?? node.workflow ?? null,
        ...(node.path === undefined ? {} : { path: node.path }),
        context: Either.isRight(mapped) ? mapped.right : null
      }
      if (child === undefined) {
        return failed(inputs, `workflow node '${node.id}' has no loaded sub-workflow (load it with WorkflowLoader)`)
      }
      if (Either.isLeft(mapped)) return failed(inputs, mapped.left)
      const childTraceId = TraceId.unsafeMake()
      const traceParent = traceParentOf(node.id, iteration, attempt)
      const metadata: JsonObject = {
        child_trace_id: childTraceId,
        child_workflow: child.name,
        span_id: TraceContext.spanIdOf(traceId, node.id, iteration, attempt),
        traceparent: traceParent
      }
      const key = WorkflowDefinition.outputKey(node)
      const storeWhole = node.output !== undefined || Object.keys(node.outputMapping).length === 0
      return {
        inputs,
        metadata,
        body: Effect.gen(function*() {
          const runChild = execute(child, {
            context: mapped.right,
            traceId: childTraceId,
            parentTraceId: traceId,
            traceParent,
            concurrency,
            ...(options.maxIterations === undefined ? {} : { maxIterations: options.maxIterations })
          })
          const fiber = yield* Effect.fork(Effect.provide(runChild, services))
          // Awaited, not joined: joining would hand the child's trace to this fiber as its current trace.
          const exit = yield* Effect.onInterrupt(Fiber.await(fiber), () => Fiber.interrupt(fiber))
          if (Exit.isFailure(exit)) {
            return yield* new NodeFailure({ message: `sub-workflow '${child.name}': ${WorkflowTracer.describeCause(exit.cause)}` })
          }
          const result = exit.value
          if (result.status !== "succeeded") {
            return yield* new NodeFailure({
              message: `sub-workflow '${child.name}' (trace ${childTraceId}) ${result.status}: ${result.error ?? result.status}`
            })
          }
          const updates: Record<string, unknown> = storeWhole ? { [key]: result.state } : {}
          for (const [parentKey, childKey] of Object.entries(node.outputMapping)) {
            const value = lookup(result.state, childKey)
            if (Option.isNone(value)) {
              return yield* new NodeFailure({
                message: `output_mapping '${parentKey}' reads '${childKey}', which is not in the final state of ` +
                  `sub-workflow '${child.name}' (keys: ${Object.keys(result.state).join(", ") || "none"})`
              })
            }
            updates[parentKey] = value.value
          }
          return {
            outputs: { child_trace_id: childTraceId, status: result.status, outputs: result.state },
            updates,
            next
          }
        })
      }
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
    ): Effect.Effect<Either.Either<Outcome, NodeFailure>, NodeFailure> =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const remaining = deadline === undefined ? undefined : (deadline - now) / 1000
        const workflowTimeout = `workflow '${workflow.name}' timed out after ${timeout ?? 0}s`
        if (remaining !== undefined && remaining <= 0) {
          return Either.left(new NodeFailure({ message: workflowTimeout, final: true }))
        }
        // The default node timeout bounds each child of a parallel node, not the whole fan-out. A hitl node's
        // `timeout` is how long it waits for its answer, with its own fallback: only the workflow's limit bounds it.
        const nodeTimeout = node.type === "hitl"
          ? undefined
          : node.timeout ?? (node.type === "parallel" || node.type === "team" ? undefined : defaultNodeTimeout)
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
          ? prepareCompute(node, next, view, tracer, registry, functions)
          : node.type === "condition"
          ? prepareCondition(node, view, functions, now)
          : node.type === "parallel"
          ? prepareParallel(node, next, view, deadline)
          : node.type === "hitl"
          ? prepareHitl(node, next, view, tracer, human)
          : node.type === "workflow"
          ? prepareWorkflow(node, next, view, iteration, attempt)
          : node.type === "team"
          ? prepareTeam(node, next, view, deadline)
          : prepareTransform(node, next, view, now, functions)
        // Processes started for a node that calls tools get its trace context, so a `victor` inside links up.
        const traced = node.type === "compute" || node.type === "agent"
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
    ): Effect.Effect<Outcome, NodeFailure> =>
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
