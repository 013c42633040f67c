/**
 * The `hitl` node kind: asks a human, through the run's `HumanInput`, for an approval, a review, a choice, some
 * input or a confirmation.
 *
 * `prompt` is rendered with `Template.render` and `context_keys` read from state (a missing key is `null`); the node
 * emits `hitl_requested`, asks, waiting at most its `timeout` (default 300 s; `default_node_timeout` does not apply,
 * the workflow `timeout` does), then emits `hitl_resolved` with the answer (also when the request ends without one,
 * with the error). Its output is `{ approved, value, timed_out }` (`approved` only for approval and confirmation).
 * Answering `false` to an approval or confirmation fails the node ("'<node>' was not approved"). No answer in time,
 * or a `NoAnswer` error, applies `fallback`: `abort` (the default) fails the node; `continue` succeeds with `value:
 * default_value` (for yes/no types `approved: true` and `value` `true` when there is no default) and `timed_out:
 * true`; `skip` emits `node_skipped`, records the node as succeeded with outputs `{ skipped: true }`, stores nothing
 * and goes on. A rejection, a missing answer under `abort` and a missing `HumanInput` are not retried by
 * `max_retries` (the human has spoken, or cannot); an invalid answer or an unavailable provider is.
 *
 * Victor's files also write the choices as `options: [{label, description}]`: those become `choices` (the labels)
 * when the node has no `choices` of its own.
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { ExecutionEventType } from "@victor/core/ExecutionEvent"
import type { JsonObject } from "@victor/core/Json"
import type * as WorkflowTracer from "@victor/core/WorkflowTracer"
import * as HumanInput from "../HumanInput.ts"
import { isPlainObject, lookup } from "../internal/plainData.ts"
import * as NodeFields from "../NodeFields.ts"
import * as NodeKind from "../NodeKind.ts"
import * as Template from "../Template.ts"

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
  ...NodeFields.common,
  hitlType: Schema.propertySignature(HitlType).pipe(Schema.fromKey("hitl_type")),
  /** A template rendered against state. */
  prompt: Schema.String,
  /** State keys shown to the human with the prompt. */
  contextKeys: Schema.optionalWith(NodeFields.StringList, { default: () => [] }).pipe(Schema.fromKey("context_keys")),
  choices: Schema.optionalWith(NodeFields.StringList, { default: () => [] }),
  defaultValue: Schema.optional(Schema.Unknown).pipe(Schema.fromKey("default_value")),
  timeout: Schema.optionalWith(NodeFields.Seconds, { default: () => defaultHitlTimeout }),
  fallback: Schema.optionalWith(HitlFallback, { default: () => "abort" as const })
}).annotations({ identifier: "HitlNode" })

/** A `hitl` node. */
export interface HitlNode extends Schema.Schema.Type<typeof HitlNode> {}

/** The message of a hitl node that runs without a `HumanInput` service. */
const noHumanInput = (nodeId: string): string =>
  `hitl node '${nodeId}' needs a human-input provider, and none was given: provide HumanInput ` +
  "(HumanInput.layerAnswers answers non-interactively; the CLI prompts at a terminal or takes " +
  "--context '{\"hitl\": ...}' or --yes)"

const prepare = (node: HitlNode, visit: NodeKind.Visit): NodeKind.Prepared => {
  const { next, state } = visit
  const { human, tracer } = visit.run
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
  const key = NodeKind.outputKey(node)
  const record = (eventType: ExecutionEventType, options: WorkflowTracer.RecordEventOptions) =>
    tracer.recordEvent(eventType, { nodeId: node.id, ...options }).pipe(
      Effect.mapError((error) => new NodeKind.NodeFailure({ message: error.message }))
    )
  const done = (answer: unknown, timedOut: boolean): NodeKind.Outcome => {
    // Only an answered `true` or the `continue` fallback get here: a yes/no node that gets here is approved.
    const outputs: JsonObject = { ...(yesNo ? { approved: true } : {}), value: answer, timed_out: timedOut }
    return { outputs, updates: { [key]: outputs }, next }
  }
  return {
    inputs,
    body: Effect.gen(function*() {
      if (Option.isNone(human)) {
        return yield* new NodeKind.NodeFailure({ message: noHumanInput(node.id), final: true })
      }
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
          return yield* new NodeKind.NodeFailure({ message: `'${node.id}' was not approved`, final: true })
        }
        return done(answer, false)
      }
      const error = result.left
      if (error._tag === "HumanInputError" && error.reason !== "NoAnswer") {
        yield* record(ExecutionEventType.HITL_RESOLVED, {
          data: { answer: null, timed_out: false },
          error: error.message
        })
        return yield* new NodeKind.NodeFailure({ message: error.message })
      }
      // Nobody answered (in time): the fallback decides.
      const noAnswer = error._tag === "HumanInputError"
        ? error.message
        : `no answer for '${node.id}' within ${node.timeout}s (fallback: ${node.fallback})`
      yield* record(ExecutionEventType.HITL_RESOLVED, { data: { answer: null, timed_out: true }, error: noAnswer })
      switch (node.fallback) {
        case "abort":
          return yield* new NodeKind.NodeFailure({ message: noAnswer, final: true })
        case "continue":
          return done(node.defaultValue ?? (yesNo ? true : null), true)
        case "skip":
          yield* record(ExecutionEventType.NODE_SKIPPED, { data: { reason: noAnswer, fallback: "skip" } })
          return { outputs: { skipped: true }, updates: {}, next }
      }
    })
  }
}

/** Victor's `options: [{label, description}]`, as `choices` (by label), for a node without `choices`. */
const rewrite = (
  record: Readonly<Record<string, unknown>>
): Either.Either<NodeKind.Rewritten, NodeKind.Issue> => {
  if (record.choices !== undefined || !Array.isArray(record.options)) return Either.right({ record })
  const labels: Array<string> = []
  for (const [j, option] of record.options.entries()) {
    const text = typeof option === "string" ? option : isPlainObject(option) ? option.label : undefined
    if (typeof text !== "string") {
      return Either.left(NodeKind.error(
        ["options", j],
        `node '${String(record.id)}': option #${j + 1} has no 'label'`,
        "write each option as a string or as '{label: ..., description: ...}'"
      ))
    }
    labels.push(text)
  }
  return Either.right({ record: { ...record, choices: labels }, writtenAs: { choices: "options" } })
}

/** The `hitl` kind. */
export const kind: NodeKind.NodeKind<HitlNode> = NodeKind.make({
  type: "hitl",
  schema: HitlNode,
  extraKeys: ["options"],
  rewrite,
  check: (node) => {
    if (node.hitlType === "choice") {
      if (node.choices.length === 0) {
        return [NodeKind.error(
          ["hitl_type"],
          `hitl node '${node.id}' asks for a choice but has no 'choices'`,
          "add 'choices: [a, b]', or use hitl_type: input"
        )]
      }
      if (node.defaultValue !== undefined && !(node.choices as ReadonlyArray<unknown>).includes(node.defaultValue)) {
        return [NodeKind.error(
          ["default_value"],
          `hitl node '${node.id}' has default_value ${
            JSON.stringify(node.defaultValue)
          }, which is not one of its choices`,
          `choices: ${node.choices.join(", ")}`
        )]
      }
      return []
    }
    // A confirmation ignores choices; an approval presents them (its answer is yes/no or one of them); `input` and
    // `review` show them as suggestions (as Victor's files do).
    return node.choices.length > 0 && node.hitlType === "confirmation"
      ? [NodeKind.warning(
        ["choices"],
        `hitl node '${node.id}' has 'choices', which are ignored: its hitl_type is ${node.hitlType}`
      )]
      : []
  },
  // Its `timeout` is how long it waits for an answer, with its own fallback: only the workflow's bounds it.
  timeout: "none",
  prepare
})
