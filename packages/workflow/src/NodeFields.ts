/**
 * The schemas node fields are written with: the fields every node has (`common`), and the field types the built-in
 * node kinds share, for any kind's schema (a plugin's too). Each kind's own fields are in its module under `nodes/`.
 */
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { JsonObject } from "@victor/core/Json"

/** A list that may also be written as one string (`next: review`). */
export const StringList = Schema.transform(
  Schema.Union(Schema.String, Schema.Array(Schema.String)),
  Schema.Array(Schema.String),
  { strict: true, decode: (value) => (typeof value === "string" ? [value] : value), encode: (value) => value }
)

/** A duration in seconds. */
export const Seconds = Schema.Number.pipe(
  Schema.positive({ message: () => "must be a positive number of seconds" })
).annotations({ identifier: "Seconds" })

/** A node id: any non-empty string. */
export const NodeId = Schema.String.pipe(Schema.minLength(1, { message: () => "must not be empty" }))

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

/**
 * The fields every node has, whatever its kind, as written (`id`, `name`, `description`, `next`, `output`,
 * `input_mapping`, `timeout`, `constraints`): a kind's node schema spreads them next to its own `type` and fields,
 * so that the engine can chain, store and bound its nodes like any other.
 */
export const common = {
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
