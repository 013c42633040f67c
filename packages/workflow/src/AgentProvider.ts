/**
 * The model behind `agent` nodes. The executor runs an agent's loop (goal, tool calls, final answer) and asks an
 * `AgentProvider` for each model turn, so the same workflow runs against a real model or, offline and
 * deterministically, against a script: `layerScripted` plays recorded turns per node id, which is what tests,
 * examples and demos use. `layerNone` is for programs that run no agent nodes. Real models live in `providers/`
 * (`OpenAiProvider`, `AnthropicProvider`); `makeRouted` lets each agent node use its own.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import * as YAML from "yaml"
import { JsonObject } from "@victor/core/Json"

/** Why a model turn could not be had. */
export const AgentErrorReason = Schema.Literal(
  "NoProvider",
  "NoScript",
  "ScriptExhausted",
  "InvalidScript",
  "Unavailable",
  "BadResponse",
  "Unauthorized",
  "RateLimited",
  "Rejected",
  "Timeout"
)

/** A model turn could not be had, or a script could not be loaded; the message is one readable line. */
export class AgentError extends Schema.TaggedError<AgentError>()("AgentError", {
  reason: AgentErrorReason,
  /** The agent node asking, when there is one. */
  nodeId: Schema.optional(Schema.String),
  description: Schema.String
}) {
  override get message(): string {
    return this.description
  }
}

/** A tool the model may call. */
export const ToolSpec = Schema.Struct({
  name: Schema.String,
  description: Schema.String,
  /** The JSON schema of the tool's inputs (an MCP tool's `inputSchema`); absent: the built-in's, else an open object. */
  inputSchema: Schema.optionalWith(JsonObject, { exact: true })
})

/** A tool the model may call. */
export interface ToolSpec extends Schema.Schema.Type<typeof ToolSpec> {}

/** A tool call the model asks for; `id` pairs it with its result. */
export const ToolCall = Schema.Struct({ id: Schema.String, name: Schema.String, arguments: JsonObject })

/** A tool call the model asks for. */
export interface ToolCall extends Schema.Schema.Type<typeof ToolCall> {}

/** One entry of an agent's conversation. */
export const Message = Schema.Union(
  Schema.Struct({ role: Schema.Literal("system"), content: Schema.String }),
  Schema.Struct({ role: Schema.Literal("user"), content: Schema.String }),
  Schema.Struct({
    role: Schema.Literal("assistant"),
    content: Schema.optional(Schema.String),
    toolCalls: Schema.Array(ToolCall)
  }),
  Schema.Struct({
    role: Schema.Literal("tool"),
    toolCallId: Schema.String,
    name: Schema.String,
    /** The tool's outputs, or `{ error }` when it failed or was not allowed. */
    content: JsonObject,
    isError: Schema.Boolean
  })
)

/** One entry of an agent's conversation. */
export type Message = typeof Message.Type

/** What the provider is asked for one turn. */
export const ModelRequest = Schema.Struct({
  nodeId: Schema.String,
  role: Schema.optional(Schema.String),
  /** The node's goal, rendered against the workflow state. */
  goal: Schema.String,
  tools: Schema.Array(ToolSpec),
  /** The conversation so far, oldest first. */
  messages: Schema.Array(Message),
  /** The node's `llm_config` (`temperature`, `model_hint`, `max_tokens`, ...), as written. */
  llmConfig: JsonObject
})

/** What the provider is asked for one turn. */
export interface ModelRequest extends Schema.Schema.Type<typeof ModelRequest> {}

/** Why a model turn ended. */
export const FinishReason = Schema.Literal("stop", "tool_calls", "length", "content_filter", "error", "other")

/** Token counts of one turn. */
export const Usage = Schema.Struct({ inputTokens: Schema.Number, outputTokens: Schema.Number })

/** One model turn: a final text, or tool calls to make. */
export const ModelResponse = Schema.Struct({
  model: Schema.String,
  text: Schema.optional(Schema.String),
  toolCalls: Schema.Array(ToolCall),
  finishReason: FinishReason,
  usage: Usage
})

/** One model turn. */
export interface ModelResponse extends Schema.Schema.Type<typeof ModelResponse> {}

/** The provider service. */
export interface AgentProviderService {
  /** Shown in node inputs and errors (`scripted`, `openai`, ...). */
  readonly name: string
  /** The model's next turn for this conversation. */
  readonly complete: (request: ModelRequest) => Effect.Effect<ModelResponse, AgentError>
}

/** The provider tag. */
export class AgentProvider extends Context.Tag("@victor/workflow/AgentProvider")<
  AgentProvider,
  AgentProviderService
>() {}

/** A provider that has no model: every agent node fails with a `NoProvider` error saying how to give it one. */
export const none: AgentProviderService = {
  name: "none",
  complete: (request) =>
    Effect.fail(
      new AgentError({
        reason: "NoProvider",
        nodeId: request.nodeId,
        description: `agent node '${request.nodeId}' needs a model provider and none is configured; ` +
          "provide one (e.g. a scripted provider: AgentProvider.layerScripted, or `--script <file>` on the CLI)"
      })
    )
}

/** The provider of programs that run no agent nodes. */
export const layerNone: Layer.Layer<AgentProvider> = Layer.succeed(AgentProvider, none)

/**
 * A provider that hands each node's turns to that node's own provider (nodes may name different providers or models
 * in `llm_config`), and the others' to `fallback`. Its name is the providers' names, joined with `+` when they
 * differ; then each error also names the provider it came from.
 */
export const makeRouted = (
  byNode: Readonly<Record<string, AgentProviderService>>,
  fallback: AgentProviderService = none
): AgentProviderService => {
  const names = Array.from(new Set(Object.values(byNode).map((provider) => provider.name))).sort()
  const mixed = names.length > 1
  return {
    name: names.length === 0 ? fallback.name : names.join("+"),
    complete: (request) => {
      const provider = Object.hasOwn(byNode, request.nodeId) ? byNode[request.nodeId]! : fallback
      return mixed
        ? Effect.mapError(
          provider.complete(request),
          (error) =>
            new AgentError({
              reason: error.reason,
              ...(error.nodeId === undefined ? {} : { nodeId: error.nodeId }),
              description: `${provider.name}: ${error.description}`
            })
        )
        : provider.complete(request)
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Scripted provider

const NonNegativeInt = Schema.Int.pipe(Schema.nonNegative({ message: () => "must be a whole number >= 0" }))

/** A tool call in a script. */
export const ScriptToolCall = Schema.Struct({
  name: Schema.String.pipe(Schema.minLength(1, { message: () => "must name a tool" })),
  arguments: Schema.optionalWith(JsonObject, { default: () => ({}) })
})

/** Token counts in a script (snake_case, as written). */
export const ScriptUsage = Schema.Struct({
  inputTokens: Schema.optional(NonNegativeInt).pipe(Schema.fromKey("input_tokens")),
  outputTokens: Schema.optional(NonNegativeInt).pipe(Schema.fromKey("output_tokens"))
})

/** One scripted model turn: `{ tool_calls: [{ name, arguments }] }` or `{ response: "final text" }`. */
export const ScriptTurn = Schema.Struct({
  toolCalls: Schema.optional(
    Schema.Array(ScriptToolCall).pipe(Schema.minItems(1, { message: () => "must list at least one tool call" }))
  ).pipe(Schema.fromKey("tool_calls")),
  response: Schema.optional(Schema.String),
  usage: Schema.optional(ScriptUsage),
  model: Schema.optional(Schema.String)
}).pipe(
  Schema.filter((turn) =>
    (turn.toolCalls === undefined) !== (turn.response === undefined) ||
    "a turn has either 'tool_calls' or 'response' (not both, not neither)"
  )
).annotations({ identifier: "ScriptTurn" })

/** One scripted model turn. */
export type ScriptTurn = typeof ScriptTurn.Type

/** A script: agent node id -> its model turns, in order. */
export const Script = Schema.Record({ key: Schema.String, value: Schema.Array(ScriptTurn) }).annotations({
  identifier: "Script"
})

/** A script (decoded). */
export type Script = typeof Script.Type

/** A script as written in a file or a literal (snake_case keys). */
export type ScriptInput = typeof Script.Encoded

/** The model name a scripted turn reports when it names none. */
export const scriptedModel = "scripted"

/** A rough token count (4 characters a token), so scripted runs still report plausible usage. */
const estimateTokens = (value: unknown): number => Math.ceil(JSON.stringify(value ?? "").length / 4)

/**
 * A provider playing a script: each `complete` for a node plays that node's next turn (a node visited again goes on
 * where it left off). A node missing from the script, or out of turns, is an error naming the node. Tool call ids
 * are `<node>-<turn>-<n>`; usage not given in the script is estimated from the text sizes.
 */
export const makeScripted = (script: Script): Effect.Effect<AgentProviderService> =>
  Effect.sync(() => {
    const played = new Map<string, number>()
    const known = Object.keys(script).sort()
    return {
      name: "scripted",
      complete: (request) =>
        Effect.suspend(() => {
          const turns = script[request.nodeId]
          if (turns === undefined) {
            return Effect.fail(
              new AgentError({
                reason: "NoScript",
                nodeId: request.nodeId,
                description: `the script has no turns for agent node '${request.nodeId}' (it scripts: ${
                  known.length === 0 ? "no nodes" : known.join(", ")
                }); add '${request.nodeId}: [...]' to the script`
              })
            )
          }
          const index = played.get(request.nodeId) ?? 0
          const turn = turns[index]
          if (turn === undefined) {
            return Effect.fail(
              new AgentError({
                reason: "ScriptExhausted",
                nodeId: request.nodeId,
                description: `the script for agent node '${request.nodeId}' ran out after ${turns.length} turn${
                  turns.length === 1 ? "" : "s"
                }; add a turn (end with { response: "..." } to give a final answer)`
              })
            )
          }
          played.set(request.nodeId, index + 1)
          const toolCalls = (turn.toolCalls ?? []).map((call, n) => ({
            id: `${request.nodeId}-${index + 1}-${n + 1}`,
            name: call.name,
            arguments: call.arguments
          }))
          const response: ModelResponse = {
            model: turn.model ?? scriptedModel,
            ...(turn.response === undefined ? {} : { text: turn.response }),
            toolCalls,
            finishReason: turn.response === undefined ? "tool_calls" : "stop",
            usage: {
              inputTokens: turn.usage?.inputTokens ?? estimateTokens(request.messages),
              outputTokens: turn.usage?.outputTokens ?? estimateTokens(turn.response ?? toolCalls)
            }
          }
          return Effect.succeed(response)
        })
    }
  })

/** A scripted provider (see `makeScripted`). */
export const layerScripted = (script: Script): Layer.Layer<AgentProvider> =>
  Layer.effect(AgentProvider, makeScripted(script))

const decodeScript = Schema.decodeUnknownEither(Script, { errors: "all", onExcessProperty: "error" })

/** `node 'review', turn 2, field 'tool_calls.0.name'` for a path into a script. */
const describeScriptPath = (path: ReadonlyArray<PropertyKey>): string => {
  const [node, turn, ...rest] = path
  const parts = [
    ...(node === undefined ? [] : [`node '${String(node)}'`]),
    ...(typeof turn === "number" ? [`turn ${turn + 1}`] : []),
    ...(rest.length === 0 ? [] : [`field '${rest.map(String).join(".")}'`])
  ]
  return parts.length === 0 ? "script" : parts.join(", ")
}

/** Decodes a script already parsed from JSON or YAML; `source` names it in errors. */
export const decode = (raw: unknown, source: string): Either.Either<Script, AgentError> =>
  Either.mapLeft(decodeScript(raw), (error) => {
    const issues = ParseResult.ArrayFormatter.formatErrorSync(error)
    const described = issues.slice(0, 3).map((issue) => `${describeScriptPath(issue.path)}: ${issue.message}`)
    const more = issues.length > 3 ? ` (and ${issues.length - 3} more)` : ""
    return new AgentError({
      reason: "InvalidScript",
      description: `${source}: invalid agent script: ${described.join("; ")}${more}; ` +
        "a script maps agent node ids to turns, each { tool_calls: [{ name, arguments }] } or { response: \"...\" }"
    })
  })

/** Reads a script file: JSON (`.json`) or YAML (anything else; YAML also reads JSON). */
export const loadScript = (path: string): Effect.Effect<Script, AgentError, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const text = yield* fs.readFileString(path).pipe(
      Effect.mapError((error) =>
        new AgentError({
          reason: "InvalidScript",
          description: error._tag === "SystemError" && error.reason === "NotFound"
            ? `${path}: no such agent script file`
            : `${path}: cannot read the agent script: ${error.message}`
        })
      )
    )
    const parsed = /\.json$/i.test(path) ? parseJson(text) : parseYaml(text)
    if (Either.isLeft(parsed)) {
      return yield* new AgentError({ reason: "InvalidScript", description: `${path}: ${parsed.left}` })
    }
    return yield* decode(parsed.right, path)
  })

const parseJson = (text: string): Either.Either<unknown, string> =>
  Either.try({
    try: () => JSON.parse(text) as unknown,
    catch: (error) => `invalid JSON: ${error instanceof Error ? error.message : String(error)}`
  })

const parseYaml = (text: string): Either.Either<unknown, string> => {
  const lineCounter = new YAML.LineCounter()
  const document = YAML.parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true })
  const first = document.errors[0]
  if (first !== undefined) {
    const { line, col } = lineCounter.linePos(first.pos[0])
    return Either.left(`invalid YAML at line ${line}, column ${col}: ${first.message.replace(/\s+/g, " ").trim()}`)
  }
  return Either.right(document.toJS() as unknown)
}
