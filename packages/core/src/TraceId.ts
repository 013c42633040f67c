/**
 * Trace identifiers: how they are made and which strings are safe to use as one (ids become file names, so they are
 * checked before they touch a path).
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"

const pattern = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/

/** Whether a string is a valid trace id: letters, digits, `-` and `_`, 1 to 128 characters, no path syntax. */
export const isTraceId = (value: string): boolean => pattern.test(value)

/** Schema of a valid trace id. */
export const TraceId = Schema.String.pipe(
  Schema.filter((value) => isTraceId(value) || "a trace id is 1-128 letters, digits, '-' or '_'"),
  Schema.brand("TraceId")
)

/** A valid trace id. */
export type TraceId = typeof TraceId.Type

/**
 * A new random trace id (a UUID v4, as Victor's Python engine makes), checked and branded by the {@link TraceId}
 * schema. For code that must have the id before it returns (the metadata of a sub-workflow's node); else {@link make}.
 */
export const unsafeMake = (): TraceId => TraceId.make(globalThis.crypto.randomUUID())

/** A new random trace id: the one way Victor mints them (see {@link unsafeMake}). */
export const make: Effect.Effect<TraceId> = Effect.sync(unsafeMake)

/** A workflow name made safe for a file name: anything but letters, digits, `.`, `-` and `_` becomes `_`. */
export const fileSafeName = (name: string): string => {
  const safe = name.replace(/[^A-Za-z0-9._-]/g, "_").replace(/^\.+/, "_")
  return safe.length === 0 ? "workflow" : safe.slice(0, 100)
}
