/**
 * Redaction: what never reaches disk. Before a trace (or an entry of its journal) is handed to a store, secret values
 * are replaced by `"[REDACTED]"`: the values of secret-looking environment variables wherever they appear inside a
 * string (a shell tool echoing `$API_TOKEN`), fields with a redacted key at any depth, fields at a dotted path
 * (`inputs.headers.authorization`, `*` matches any one key), and the parts of strings matching a regular expression.
 *
 * The tracer reads the redactor from `CurrentRedactor` when a trace starts; the default redacts nothing, so library
 * programs opt in with `Redaction.layer(...)`. The CLI always installs one (on by default, see `victor.config.json`).
 */
import * as Context from "effect/Context"
import * as Layer from "effect/Layer"
import type { ExecutionEvent } from "./ExecutionEvent.ts"
import type { JournalEntry } from "./Journal.ts"
import type { JsonObject } from "./Json.ts"
import type { NodeTraceRecord, ToolCallRecord, WorkflowTrace } from "./WorkflowTrace.ts"

/** What replaces a redacted value. */
export const REDACTED = "[REDACTED]"

/** Redaction rules. */
export interface Rules {
  /** Secret values, replaced wherever they occur inside a string. */
  readonly values?: ReadonlyArray<string>
  /** Field names (case-insensitive) whose values are redacted at any depth. */
  readonly keys?: ReadonlyArray<string>
  /** Dotted paths from a record: `inputs.api_key`, `outputs.headers.authorization`, `metadata.*.token`. */
  readonly paths?: ReadonlyArray<string>
  /** Regular expressions (source text); the matching parts of strings are redacted. */
  readonly patterns?: ReadonlyArray<string | RegExp>
}

/** A redactor: turns traces and journal entries into their redacted copies. */
export interface Redactor {
  /** Whether it changes anything at all (the identity redactor costs nothing). */
  readonly active: boolean
  readonly trace: (trace: WorkflowTrace) => WorkflowTrace
  readonly entry: (entry: JournalEntry) => JournalEntry
  /** A JSON object's redacted copy; `root` is the dotted-path root it sits at (`inputs`, `outputs`, `metadata`). */
  readonly object: (object: JsonObject, root: string) => JsonObject
  readonly text: (text: string) => string
}

/** Secret-looking environment variable names: `*KEY*`, `*TOKEN*`, `*SECRET*`, `*PASSWORD*`, credentials, auth. */
const secretName =
  /(^|[_.-])(API_?KEY|KEY|KEYS|TOKEN|TOKENS|SECRET|SECRETS|PASSWORD|PASSWD|PASSPHRASE|PWD_HASH|CREDENTIALS?|AUTH|PRIVATE|SESSION|COOKIE|DSN)([_.-]|$)|SECRET|TOKEN|PASSWORD|APIKEY|API_KEY|ACCESS_KEY|PRIVATE_KEY/i

/** Short values would redact half of every trace ("1", "true"), so only values this long count as secrets. */
export const MIN_SECRET_LENGTH = 6

/** Whether an environment variable name looks like it holds a secret. */
export const isSecretName = (name: string): boolean => secretName.test(name)

/** The secret values of an environment (names that look like secrets, values long enough to be one). */
export const secretValues = (env: Readonly<Record<string, string | undefined>>): ReadonlyArray<string> => {
  const values = new Set<string>()
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || value.length < MIN_SECRET_LENGTH || !isSecretName(name)) continue
    values.add(value)
  }
  return Array.from(values)
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

/** The identity redactor. */
export const none: Redactor = {
  active: false,
  trace: (trace) => trace,
  entry: (entry) => entry,
  object: (object) => object,
  text: (text) => text
}

/** A redactor for these rules. */
export const make = (rules: Rules): Redactor => {
  const values = (rules.values ?? []).filter((v) => v.length > 0)
  // Longest first, so that a secret containing another is redacted whole.
  const sources = [
    ...values.slice().sort((a, b) => b.length - a.length).map(escapeRegExp),
    ...(rules.patterns ?? []).map((p) => (typeof p === "string" ? p : p.source))
  ]
  const scan = sources.length === 0 ? undefined : new RegExp(sources.map((s) => `(?:${s})`).join("|"), "g")
  const keys = new Set((rules.keys ?? []).map((k) => k.toLowerCase()))
  const paths = (rules.paths ?? []).map((p) => p.split("."))
  if (scan === undefined && keys.size === 0 && paths.length === 0) return none

  const text = (s: string): string => {
    if (scan === undefined) return s
    scan.lastIndex = 0
    return scan.test(s) ? s.replace(scan, REDACTED) : s
  }

  // Walks a value, redacting strings, keys and the paths still pending (each a remaining list of segments).
  const walk = (value: unknown, pending: ReadonlyArray<ReadonlyArray<string>>): unknown => {
    if (typeof value === "string") return text(value)
    if (typeof value !== "object" || value === null) return value
    if (Array.isArray(value)) {
      const next = pending.filter((p) => p[0] === "*").map((p) => p.slice(1))
      if (next.some((p) => p.length === 0)) return value.map(() => REDACTED)
      let changed = false
      const out = value.map((item) => {
        const r = walk(item, next)
        if (r !== item) changed = true
        return r
      })
      return changed ? out : value
    }
    let changed = false
    const out: Record<string, unknown> = {}
    for (const [key, child] of Object.entries(value)) {
      const next = pending.filter((p) => p[0] === key || p[0] === "*").map((p) => p.slice(1))
      let r: unknown
      if (keys.has(key.toLowerCase()) || next.some((p) => p.length === 0)) r = REDACTED
      else r = walk(child, next)
      if (r !== child) changed = true
      out[key] = r
    }
    return changed ? out : value
  }

  const object = (o: JsonObject, root: string): JsonObject =>
    walk(o, paths.filter((p) => p[0] === root || p[0] === "*").map((p) => p.slice(1))) as JsonObject
  const nullableText = (s: string | null): string | null => (s === null ? null : text(s))

  const toolCall = (call: ToolCallRecord): ToolCallRecord => ({
    ...call,
    inputs: object(call.inputs, "inputs"),
    outputs: object(call.outputs, "outputs"),
    error: nullableText(call.error)
  })
  const node = (record: NodeTraceRecord): NodeTraceRecord => ({
    ...record,
    inputs: object(record.inputs, "inputs"),
    outputs: object(record.outputs, "outputs"),
    metadata: object(record.metadata, "metadata"),
    error: nullableText(record.error),
    toolCalls: record.toolCalls.map(toolCall)
  })
  const event = (e: ExecutionEvent): ExecutionEvent => {
    if (e.error === undefined && e.data === undefined) return e
    return {
      ...e,
      ...(e.error === undefined ? {} : { error: text(e.error) }),
      ...(e.data === undefined ? {} : { data: object(e.data, "data") })
    }
  }

  return {
    active: true,
    text,
    object,
    entry: (entry) => {
      switch (entry._tag) {
        case "Event":
          return { _tag: "Event", event: event(entry.event) }
        case "NodeStarted":
          return { _tag: "NodeStarted", node: { ...entry.node, inputs: object(entry.node.inputs, "inputs") } }
        case "Node":
          return { _tag: "Node", node: node(entry.node) }
        case "ToolCall":
          return { _tag: "ToolCall", toolCall: toolCall(entry.toolCall), nodeId: entry.nodeId }
      }
    },
    trace: (trace) => ({
      ...trace,
      inputs: object(trace.inputs, "inputs"),
      outputs: object(trace.outputs, "outputs"),
      metadata: object(trace.metadata, "metadata"),
      error: nullableText(trace.error),
      nodes: trace.nodes.map(node),
      events: trace.events.map(event)
    })
  }
}

/** The redactor traces started in this context use; none by default. */
export class CurrentRedactor extends Context.Reference<CurrentRedactor>()("@victor/core/Redaction/CurrentRedactor", {
  defaultValue: (): Redactor => none
}) {}

/** Installs a redactor for these rules. */
export const layer = (rules: Rules): Layer.Layer<never> => Layer.succeed(CurrentRedactor, make(rules))
