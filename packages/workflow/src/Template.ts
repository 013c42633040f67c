/**
 * Templates: text that reads workflow state through `{key}`, `{{key}}` (spaces allowed inside) and `$ctx.key`, each
 * with dotted paths (`{review.summary}`, `$ctx.files.0`). Values render as text: strings as they are, an object
 * with a `response` field (an agent's output) as that response, anything else as JSON.
 *
 * A placeholder whose key is not in state is left as written, so braces that are not placeholders (a shell
 * `awk '{print}'`, JSON in a prompt) pass through untouched.
 *
 * `resolve` is how node inputs are read: a string that is exactly `$ctx.path` is the raw value at that path (a list
 * stays a list), a string with placeholders is rendered, objects and lists are resolved item by item, and anything
 * else is a literal.
 */
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import type { JsonObject } from "@victor/core/Json"
import { isPlainObject, lookup, toText } from "./internal/plainData.ts"

/** Why an input could not be resolved. */
export const TemplateErrorReason = Schema.Literal("MissingKey")

/** An input read a state key that is not there. */
export class TemplateError extends Schema.TaggedError<TemplateError>()("TemplateError", {
  reason: TemplateErrorReason,
  key: Schema.String,
  description: Schema.String
}) {
  override get message(): string {
    return this.description
  }
}

const path = "[A-Za-z_][A-Za-z0-9_]*(?:\\.[A-Za-z0-9_]+)*"
const placeholder = new RegExp(`\\{\\{\\s*(\\$ctx\\.${path}|${path})\\s*\\}\\}|\\{(${path})\\}|\\$ctx\\.(${path})`, "g")
const exactReference = new RegExp(`^\\s*\\$ctx\\.(${path})\\s*$`)

/**
 * Writes a value's text where a placeholder stood: `offset` and `length` locate the placeholder in the template,
 * and placeholders come in order, so a writer may follow the template's text as it goes (see `ShellTemplate`).
 */
export type Writer = (text: string, offset: number, length: number) => string

/** Renders a template against state, each value's text written by `write` (as it is by default). */
export const renderWith = (template: string, state: JsonObject, write: Writer): string =>
  template.replace(
    placeholder,
    (
      whole: string,
      double: string | undefined,
      single: string | undefined,
      ctx: string | undefined,
      offset: number
    ) => {
      const key = double ?? single ?? ctx ?? ""
      return Option.match(lookup(state, key), {
        onNone: () => whole,
        onSome: (value) => write(toText(value), offset, whole.length)
      })
    }
  )

/** Renders a template against state. A value's text is inserted once and never read again as a template. */
export const render = (template: string, state: JsonObject): string =>
  template.replace(
    placeholder,
    (whole, double: string | undefined, single: string | undefined, ctx: string | undefined) => {
      const key = double ?? single ?? ctx ?? ""
      return Option.match(lookup(state, key), { onNone: () => whole, onSome: toText })
    }
  )

/** Where each placeholder of a template stands: its offset, length and key (for checks that need no state). */
export const placeholders = (
  template: string
): Array<{ readonly offset: number; readonly length: number; readonly key: string }> =>
  Array.from(template.matchAll(placeholder), (match) => ({
    offset: match.index,
    length: match[0].length,
    key: match[1] ?? match[2] ?? match[3] ?? ""
  }))

/** Resolves a node input against state (see the module comment); an exact `$ctx.key` that is missing is an error. */
export const resolve = (value: unknown, state: JsonObject): Either.Either<unknown, TemplateError> => {
  if (typeof value === "string") {
    const exact = exactReference.exec(value)
    if (exact !== null) {
      const key = exact[1]!
      return Option.match(lookup(state, key), {
        onNone: () =>
          Either.left(
            new TemplateError({
              reason: "MissingKey",
              key,
              description: `$ctx.${key} is not in the workflow state (keys: ${
                Object.keys(state).join(", ") || "none"
              })`
            })
          ),
        onSome: Either.right
      })
    }
    return Either.right(render(value, state))
  }
  if (Array.isArray(value)) return Either.all(value.map((item) => resolve(item, state)))
  if (isPlainObject(value)) {
    return Either.map(
      Either.all(
        Object.entries(value).map(([key, item]) => Either.map(resolve(item, state), (v) => [key, v] as const))
      ),
      Object.fromEntries
    )
  }
  return Either.right(value)
}

/** Resolves every value of an object of inputs. */
export const resolveObject = (inputs: JsonObject, state: JsonObject): Either.Either<JsonObject, TemplateError> =>
  resolve(inputs, state) as Either.Either<JsonObject, TemplateError>
