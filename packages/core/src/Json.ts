/**
 * JSON-shaped values that flow through traces: node and tool inputs and outputs, metadata, event data.
 */
import * as Schema from "effect/Schema"

/** A JSON object with arbitrary values (inputs, outputs, metadata). */
export const JsonObject = Schema.Record({ key: Schema.String, value: Schema.Unknown }).annotations({
  identifier: "JsonObject"
})

/** A JSON object with arbitrary values. */
export type JsonObject = { readonly [key: string]: unknown }

/** The empty object, shared so that records without inputs or outputs allocate nothing. */
export const emptyObject: JsonObject = Object.freeze({})
