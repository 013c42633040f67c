/**
 * The `agent` node kind: a model loop over a goal, through the run's `AgentProvider`.
 *
 * `goal` is rendered with `Template.render`, then the loop asks the provider for a turn (the conversation so far,
 * the allowed tools with their descriptions, `llm_config`), timing each call and recording it as a
 * `model_call_completed` event and in the node's `metadata.model_calls`. Each requested tool call is run through
 * `withToolCall` and its outputs appended to the conversation; a tool the node does not list in `tools` is not run
 * but recorded as a failed call, and its error is reported back to the model, as is a failing tool's (the agent may
 * recover; a compute node would fail). Every requested call counts against `tool_budget`: asking for one more fails
 * the node. A turn without tool calls is the final answer; its text is the output's `response` (`{ response,
 * success: true, tool_calls, error: null }`); a turn with neither text nor tool calls, or a provider error
 * (`AgentError`), fails the node. Without a provider (`AgentProvider.none`), agent nodes fail saying so. Each visit or
 * retry starts a new conversation (a scripted provider goes on with the node's next turns).
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import { ExecutionEventType } from "@victor/core/ExecutionEvent"
import { JsonObject } from "@victor/core/Json"
import type * as AgentProvider from "../AgentProvider.ts"
import * as NodeFields from "../NodeFields.ts"
import * as NodeKind from "../NodeKind.ts"
import * as Template from "../Template.ts"
import * as ToolRegistry from "../ToolRegistry.ts"
import { unknownTools } from "./Compute.ts"

/**
 * Fields Victor's files write on an agent node that this package accepts besides the core ones (the workflow's own
 * are in `WorkflowDefinition`). What each one does:
 *
 * | field                          | on        | meaning here                                                         |
 * | ------------------------------ | --------- | -------------------------------------------------------------------- |
 * | `allowed_tools`                | agent     | Victor's loader reads an agent's tool list from `tools:` (its        |
 * |                                |           | `allowed_tools` attribute); a YAML `allowed_tools:` is the same list.|
 * |                                |           | Alone, it is the agent's tools; with `tools:`, it restricts them     |
 * |                                |           | (the agent may call the tools in both). Applied by                   |
 * |                                |           | `WorkflowDefinition.make`.                                           |
 * | `instructions`                 | agent     | appended to the system prompt (after `You are <role>.`)              |
 * | `profile`                      | agent     | provider profile name: the provider config has no profiles, so it is |
 * |                                |           | recorded in the node's trace metadata (`profile`) only               |
 * | `disable_embeddings`           | agent     | no embeddings here: carried in the node's trace metadata             |
 * | `sandbox_dir`                  | agent     | carried in the node's trace metadata (`sandbox_dir`); the built-in   |
 * |                                |           | tools do not confine writes to it                                    |
 *
 * Any other field is still an "unknown field ... is ignored" warning.
 */
const agentExtraFields = {
  allowedTools: Schema.optional(NodeFields.StringList).pipe(Schema.fromKey("allowed_tools")),
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
  ...NodeFields.common,
  role: Schema.optional(Schema.String),
  /** A template rendered against state. */
  goal: Schema.String,
  /** The tools the model may call. */
  tools: Schema.optionalWith(NodeFields.StringList, { default: () => [] }),
  toolBudget: Schema.optionalWith(
    Schema.Int.pipe(Schema.nonNegative({ message: () => "must be a whole number of tool calls >= 0" })),
    { default: () => defaultToolBudget }
  ).pipe(Schema.fromKey("tool_budget")),
  llmConfig: Schema.optionalWith(JsonObject, { default: () => ({}) }).pipe(Schema.fromKey("llm_config")),
  ...agentExtraFields
}).annotations({ identifier: "AgentNode" })

/** An `agent` node. */
export interface AgentNode extends Schema.Schema.Type<typeof AgentNode> {}

/** Tools after `allowed_tools`: the list alone, or `tools` restricted to it. */
export const allowedTools = (
  tools: ReadonlyArray<string>,
  allowed: ReadonlyArray<string> | undefined
): ReadonlyArray<string> =>
  allowed === undefined ? tools : tools.length === 0 ? allowed : tools.filter((tool) => allowed.includes(tool))

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

const prepare = (node: AgentNode, visit: NodeKind.Visit): NodeKind.Prepared => {
  const { next, state } = visit
  const { provider, tools: registry, tracer } = visit.run
  const goal = Template.render(node.goal, state)
  const allowed = new Set(node.tools)
  const key = NodeKind.outputKey(node)
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
  // Fields Victor's files carry that have no meaning here beyond the trace (see `agentExtraFields`).
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
          Effect.mapError((error) =>
            new NodeKind.NodeFailure({ message: `${provider.name} provider: ${error.message}` })
          )
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
        }).pipe(Effect.mapError((error) => new NodeKind.NodeFailure({ message: error.message })))
        messages.push({
          role: "assistant",
          ...(response.text === undefined ? {} : { content: response.text }),
          toolCalls: response.toolCalls
        })
        if (response.toolCalls.length === 0) {
          if (response.finishReason === "error" || response.text === undefined) {
            return yield* new NodeKind.NodeFailure({
              message: `agent '${node.id}': the model ended turn ${turn} without a final answer or tool calls ` +
                `(finish_reason: ${response.finishReason})`
            })
          }
          const outputs: JsonObject = { response: response.text, success: true, tool_calls: toolCalls, error: null }
          return { outputs, updates: { [key]: outputs }, next }
        }
        for (const call of response.toolCalls) {
          if (toolCalls === node.toolBudget) {
            return yield* new NodeKind.NodeFailure({
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

/** The `agent` kind. */
export const kind: NodeKind.NodeKind<AgentNode> = NodeKind.make({
  type: "agent",
  schema: AgentNode,
  validate: (node, { tools }) =>
    unknownTools(node.tools, tools, (tool) => `node '${node.id}' uses unknown tool '${tool}'`),
  toolEnvironment: true,
  prepare
})
