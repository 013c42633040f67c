/**
 * W3C trace context (`traceparent`, https://www.w3.org/TR/trace-context/) for Victor runs: parsing and formatting the
 * header, and the deterministic mapping from Victor's ids to W3C ids, so that a run started by another run (a
 * sub-workflow, or `victor` called from a `shell` tool) records which run and node started it.
 *
 * - A Victor trace id that is a UUID is its W3C trace id without the dashes; any other id is hashed to 32 hex
 *   digits. The same id always gives the same W3C id, so exporters can recompute it.
 * - A node record's span id is a hash of the Victor trace id, node id, iteration and attempt (`spanIdOf`).
 * - The Victor id of the parent run travels next to the header as a `tracestate` entry (`victor=<trace id>`),
 *   because a W3C trace id cannot be turned back into a Victor id that is not a UUID.
 */
import * as Either from "effect/Either"
import { isTraceId } from "./TraceId.ts"

/** A parsed `traceparent`: version `00`, a 32-hex trace id, a 16-hex parent (span) id and the flags. */
export interface TraceParent {
  readonly traceId: string
  readonly parentId: string
  readonly flags: string
}

/** The `tracestate` key under which a Victor run passes its own trace id to the runs it starts. */
export const tracestateKey = "victor"

const header = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/
const allZero = /^0+$/

/**
 * Parses a `traceparent` header. Version `00` must be exactly four fields; a later version may carry more (they are
 * ignored, as the spec asks). Upper-case hex, the all-zero ids and version `ff` are invalid.
 */
export const parse = (text: string): Either.Either<TraceParent, string> => {
  const value = text.trim()
  const match = header.exec(value)
  if (match === null) {
    return Either.left(`"${text}" is not a W3C traceparent (expected 00-<32 hex>-<16 hex>-<2 hex>, lower case)`)
  }
  const [, version, traceId, parentId, flags, rest] = match
  if (version === "ff") return Either.left(`"${text}": traceparent version ff is invalid`)
  if (version === "00" && rest !== undefined) return Either.left(`"${text}": a version 00 traceparent has 4 fields`)
  if (allZero.test(traceId!)) return Either.left(`"${text}": the trace id must not be all zeros`)
  if (allZero.test(parentId!)) return Either.left(`"${text}": the parent id must not be all zeros`)
  return Either.right({ traceId: traceId!, parentId: parentId!, flags: flags! })
}

/** Formats a `traceparent` header (version `00`; sampled unless other flags are given). */
export const format = (context: { readonly traceId: string; readonly parentId: string; readonly flags?: string }) =>
  `00-${context.traceId}-${context.parentId}-${context.flags ?? "01"}`

/** Whether a string is a valid `traceparent`. */
export const isTraceParent = (text: string): boolean => Either.isRight(parse(text))

// FNV-1a over UTF-16 code units with a seed, as 8 hex digits: small, fast and the same on every runtime.
const fnv = (text: string, seed: number): string => {
  let hash = (0x811c9dc5 ^ seed) >>> 0
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193) >>> 0
  }
  // One more avalanche round, so that ids differing in their last character differ everywhere.
  hash ^= hash >>> 16
  hash = Math.imul(hash, 0x85ebca6b) >>> 0
  hash ^= hash >>> 13
  hash = Math.imul(hash, 0xc2b2ae35) >>> 0
  hash ^= hash >>> 16
  return (hash >>> 0).toString(16).padStart(8, "0")
}

const hex = (text: string, words: number): string => {
  let out = ""
  for (let i = 0; i < words; i++) out += fnv(text, Math.imul(i + 1, 0x9e3779b9))
  // The all-zero id is invalid; a hash that lands on it is nudged.
  return allZero.test(out) ? `${out.slice(0, -1)}1` : out
}

const uuid = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i

/** The W3C trace id (32 hex) of a Victor trace id: a UUID without its dashes, else a hash of the id. */
export const traceIdOf = (victorTraceId: string): string => {
  if (uuid.test(victorTraceId)) {
    const plain = victorTraceId.replace(/-/g, "").toLowerCase()
    if (!allZero.test(plain)) return plain
  }
  return hex(`trace:${victorTraceId}`, 4)
}

/** The span id (16 hex) of one node record: its trace, node id, iteration (1 for the first visit) and attempt. */
export const spanIdOf = (victorTraceId: string, nodeId: string, iteration = 1, attempt = 1): string =>
  hex(`span:${victorTraceId}\u0000${nodeId}\u0000${iteration}\u0000${attempt}`, 2)

/** The `victor=<id>` entry of a `tracestate` header, if there is one. */
export const victorTraceIdOf = (tracestate: string | undefined): string | undefined => {
  if (tracestate === undefined) return undefined
  for (const member of tracestate.split(",")) {
    const at = member.indexOf("=")
    if (at > 0 && member.slice(0, at).trim() === tracestateKey) {
      const value = member.slice(at + 1).trim()
      // Only a valid Victor trace id is taken: the header comes from outside.
      return isTraceId(value) ? value : undefined
    }
  }
  return undefined
}

/** A run's parent as read from `TRACEPARENT` / `TRACESTATE`, or why the header was ignored. */
export interface Inherited {
  /** The `traceparent` this run continues. */
  readonly traceParent?: string
  /** The Victor trace id of the run that started this one, when it said so in `tracestate`. */
  readonly parentTraceId?: string
  /** Set when `TRACEPARENT` was given but malformed (and so ignored). */
  readonly warning?: string
}

/**
 * Reads a run's parent from the `TRACEPARENT` and `TRACESTATE` environment variables (passed in, so that this module
 * stays runtime-neutral). A malformed `TRACEPARENT` is ignored with a warning, never an error.
 */
export const fromEnvironment = (env: Readonly<Record<string, string | undefined>>): Inherited => {
  const raw = env["TRACEPARENT"]
  if (raw === undefined || raw.trim() === "") return {}
  const parsed = parse(raw)
  if (Either.isLeft(parsed)) return { warning: `TRACEPARENT ignored: ${parsed.left}` }
  const parentTraceId = victorTraceIdOf(env["TRACESTATE"])
  return { traceParent: format(parsed.right), ...(parentTraceId === undefined ? {} : { parentTraceId }) }
}

/** The environment variables a process started for one node receives, so that a `victor` inside it links up. */
export const environmentFor = (traceParent: string, victorTraceId: string): Readonly<Record<string, string>> => ({
  TRACEPARENT: traceParent,
  TRACESTATE: `${tracestateKey}=${victorTraceId}`
})
