/**
 * The human behind `hitl` nodes. The executor renders the node's prompt, gathers its context and asks `HumanInput`
 * for an answer, so the same workflow runs with someone at a terminal (the CLI's prompt) or unattended:
 * `layerAnswers` answers from a map of node id to answer (the CLI's `--context '{"hitl": {...}}'`) and, with
 * `yes: true`, takes the defaults (`--yes`). `validateAnswer` is the one place an answer is checked against its
 * request, shared by every implementation.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import type { JsonObject } from "@victor/core/Json"

/** What a `hitl` node asks for. */
export type HitlType = "approval" | "review" | "choice" | "input" | "confirmation"

/** The `hitl_type`s, in the order the docs list them. */
export const hitlTypes: ReadonlyArray<HitlType> = ["approval", "review", "choice", "input", "confirmation"]

/** A question put to a human. */
export interface HitlRequest {
  readonly nodeId: string
  readonly hitlType: HitlType
  /** The node's `prompt` template rendered against state. */
  readonly prompt: string
  /** `{ key: state[key] }` for each of the node's `context_keys` that is in state. */
  readonly context: JsonObject
  /** The node's `choices` (empty unless given). */
  readonly choices: ReadonlyArray<string>
  /** The node's `default_value` (undefined when absent). */
  readonly defaultValue: unknown
  /** How long to wait for an answer: the node's `timeout`, default 300. */
  readonly timeoutSeconds: number
}

/** approval/confirmation: a boolean; choice: one of the choices; input/review: a string. */
export type HitlAnswer = boolean | string

/** Why no usable answer was had. */
export const HumanInputErrorReason = Schema.Literal("NoAnswer", "InvalidAnswer", "Unavailable")

/** No usable answer: nobody answered, the answer does not fit the question, or no one can be asked. */
export class HumanInputError extends Schema.TaggedError<HumanInputError>()("HumanInputError", {
  reason: HumanInputErrorReason,
  nodeId: Schema.String,
  description: Schema.String
}) {
  override get message(): string {
    return this.description
  }
}

/** The human-input service. */
export interface HumanInputService {
  /** The answer to one request. */
  readonly ask: (request: HitlRequest) => Effect.Effect<HitlAnswer, HumanInputError>
}

/** The human-input tag. Optional for the executor: without it, `hitl` nodes fail saying one is needed. */
export class HumanInput extends Context.Tag("@victor/workflow/HumanInput")<HumanInput, HumanInputService>() {}

/** Whether a type's answer is a yes or no. */
export const isYesNo = (hitlType: HitlType): boolean => hitlType === "approval" || hitlType === "confirmation"

const yesWords: ReadonlySet<string> = new Set(["yes", "y", "true"])
const noWords: ReadonlySet<string> = new Set(["no", "n", "false"])

const show = (raw: unknown): string => {
  try {
    return JSON.stringify(raw) ?? String(raw)
  } catch {
    return String(raw)
  }
}

/** An example answer for a request, as JSON, for messages. */
const exampleAnswer = (request: HitlRequest): string =>
  isYesNo(request.hitlType)
    ? "true"
    : request.hitlType === "choice" && request.choices[0] !== undefined
    ? JSON.stringify(request.choices[0])
    : JSON.stringify("your text")

/**
 * Checks a raw answer against a request: approval/confirmation take a boolean or `yes`/`no`/`y`/`n`/`true`/`false`
 * (any case); choice takes one of the choices; input/review take a string.
 */
export const validateAnswer = (request: HitlRequest, raw: unknown): Either.Either<HitlAnswer, HumanInputError> => {
  const invalid = (expected: string) =>
    Either.left(
      new HumanInputError({
        reason: "InvalidAnswer",
        nodeId: request.nodeId,
        description: `invalid answer for '${request.nodeId}' (${request.hitlType}): ${show(raw)}; expected ${expected}`
      })
    )
  switch (request.hitlType) {
    case "approval":
    case "confirmation": {
      if (typeof raw === "boolean") return Either.right(raw)
      // An approval with choices presents them: one of them is an answer too.
      if (request.hitlType === "approval" && typeof raw === "string" && request.choices.includes(raw)) {
        return Either.right(raw)
      }
      if (typeof raw === "string") {
        const word = raw.trim().toLowerCase()
        if (yesWords.has(word)) return Either.right(true)
        if (noWords.has(word)) return Either.right(false)
      }
      return invalid(
        request.hitlType === "approval" && request.choices.length > 0
          ? `true/false, yes/no or one of ${request.choices.map((choice) => JSON.stringify(choice)).join(", ")}`
          : "true/false or yes/no"
      )
    }
    case "choice": {
      if (typeof raw === "string" && request.choices.includes(raw)) return Either.right(raw)
      return invalid(`one of ${request.choices.map((choice) => JSON.stringify(choice)).join(", ")}`)
    }
    case "input":
    case "review": {
      if (typeof raw === "string") return Either.right(raw)
      return invalid("a string")
    }
  }
}

/** The answer `--yes` gives a request, if it has one. */
const defaultAnswer = (request: HitlRequest): HitlAnswer | undefined => {
  if (isYesNo(request.hitlType)) return true
  const fallback = request.defaultValue
  if (request.hitlType === "choice") {
    return typeof fallback === "string" && request.choices.includes(fallback) ? fallback : request.choices[0]
  }
  if (fallback === undefined || fallback === null) return undefined
  return typeof fallback === "string" ? fallback : show(fallback)
}

/** Options of `layerAnswers` and `makeAnswers`. */
export interface AnswersOptions {
  /** Answer what `answers` does not with the defaults (`--yes`). */
  readonly yes?: boolean
}

/**
 * Non-interactive answers: `answers[nodeId]` when present (validated); else, with `yes`, the default (approval and
 * confirmation: true; choice: `default_value` if it is a choice, else the first choice; input and review:
 * `default_value` as text when given); else a `NoAnswer` error that says how to give one.
 */
export const makeAnswers = (
  answers: Readonly<Record<string, unknown>>,
  options: AnswersOptions = {}
): HumanInputService => ({
  ask: (request) =>
    Effect.suspend(() => {
      if (Object.hasOwn(answers, request.nodeId)) return validateAnswer(request, answers[request.nodeId])
      const fallback = options.yes === true ? defaultAnswer(request) : undefined
      if (fallback !== undefined) return Effect.succeed(fallback)
      const hint = `pass --context '{"hitl": {"${request.nodeId}": ${exampleAnswer(request)}}}'` +
        (options.yes === true ? "" : " or --yes")
      const why = options.yes === true ? " and it has no default_value for --yes" : ""
      return Effect.fail(
        new HumanInputError({
          reason: "NoAnswer",
          nodeId: request.nodeId,
          description: `no answer for '${request.nodeId}' (${request.hitlType})${why}: ${hint}`
        })
      )
    })
})

/** `makeAnswers` as a layer. */
export const layerAnswers = (
  answers: Readonly<Record<string, unknown>>,
  options: AnswersOptions = {}
): Layer.Layer<HumanInput> => Layer.succeed(HumanInput, makeAnswers(answers, options))
