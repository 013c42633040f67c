/**
 * Redaction: what never leaves the tracer. Before a trace, an entry of its journal, an event or a record reaches any
 * sink (the store, the journal, exports, trace handlers such as the event stream and the live view, the terminal),
 * secret values are replaced by `"[REDACTED]"`: the values of secret-looking environment variables wherever they
 * appear inside a string (a shell tool echoing `$API_TOKEN`), fields with a secret-looking or configured name at any
 * depth, fields at a dotted path (`inputs.headers.authorization`, `*` matches any one key), passwords inside URLs,
 * and the parts of strings matching a regular expression. Parts of a value nested deeper than `Json.MAX_DEPTH` levels
 * become `"[depth limit]"` on the way (see `Json`). Effect spans are payloads too: their names, errors, event names
 * (log messages) and attributes (dotted-path root `attributes`) are redacted wherever a record holds them.
 *
 * The tracer reads the redactor from `CurrentRedactor` when a trace starts; the default redacts nothing, so library
 * programs opt in with `Redaction.layer(Redaction.defaults(env))`. The CLI always installs the defaults plus
 * `victor.config.json`'s rules (on unless the config turns them off).
 */
import * as Context from "effect/Context"
import * as Layer from "effect/Layer"
import type { ExecutionEvent } from "./ExecutionEvent.ts"
import type { JournalEntry } from "./Journal.ts"
import { boundedObject, DEPTH_LIMIT, type JsonObject, MAX_DEPTH } from "./Json.ts"
import type { TraceHandler } from "./TraceHandler.ts"
import type { NodeTraceRecord, SpanEvent, SpanRecord, ToolCallRecord, WorkflowTrace } from "./WorkflowTrace.ts"

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
  /**
   * Field names are also redacted when they end with one of these words, compared without case, `_`, `-` or `.`:
   * `secret` covers `client_secret`, `clientSecret` and `CLIENT-SECRET` (see `defaultKeySuffixes`).
   */
  readonly keySuffixes?: ReadonlyArray<string>
  /** Whether the password of a URL (`postgres://user:pass@host`) is redacted wherever one appears; user and host stay. */
  readonly urlCredentials?: boolean
}

/** A redactor: turns traces, journal entries, events and records into their redacted copies. */
export interface Redactor {
  /** Whether it changes anything at all (the identity redactor costs nothing). */
  readonly active: boolean
  readonly trace: (trace: WorkflowTrace) => WorkflowTrace
  readonly entry: (entry: JournalEntry) => JournalEntry
  readonly event: (event: ExecutionEvent) => ExecutionEvent
  readonly node: (node: NodeTraceRecord) => NodeTraceRecord
  readonly toolCall: (toolCall: ToolCallRecord) => ToolCallRecord
  /** An Effect span's redacted copy (see `WorkflowTrace.SpanRecord`). */
  readonly span: (span: SpanRecord) => SpanRecord
  /** A JSON object's redacted copy; `root` is the dotted-path root it sits at (`inputs`, `outputs`, `metadata`). */
  readonly object: (object: JsonObject, root: string) => JsonObject
  readonly text: (text: string) => string
  /**
   * This redactor, also redacting the strings it finds under secret keys of `object` (a run's context) wherever
   * they appear later: a `password` from the context that a template renders into a command stays secret there too.
   */
  readonly withSecretsOf: (object: JsonObject) => Redactor
}

/** Secret-looking environment variable names: `*KEY*`, `*TOKEN*`, `*SECRET*`, `*PASSWORD*`, credentials, auth. */
const secretName =
  /(^|[_.-])(API_?KEY|KEY|KEYS|TOKEN|TOKENS|SECRET|SECRETS|PASSWORD|PASSWD|PASSPHRASE|PWD_HASH|CREDENTIALS?|AUTH|PRIVATE|SESSION|COOKIE|DSN)([_.-]|$)|SECRET|TOKEN|PASSWORD|APIKEY|API_KEY|ACCESS_KEY|PRIVATE_KEY/i

/** Short values would redact half of every trace ("1", "true"), so only values this long count as secrets. */
export const MIN_SECRET_LENGTH = 6

/** Whether an environment variable name looks like it holds a secret. */
export const isSecretName = (name: string): boolean => secretName.test(name)

/** The password of a URL held by a string (`postgres://user:pass@host/db`), decoded, if it has one. */
const urlPassword = (value: string): string | undefined => {
  const match = /^[a-z][a-z0-9+.-]*:\/\/[^\s:@/?#]*:([^\s@/?#]+)@/i.exec(value.trim())
  if (match === null) return undefined
  try {
    return decodeURIComponent(match[1]!)
  } catch {
    return match[1]
  }
}

/**
 * The secret values of an environment: the values of names that look like secrets, as they are and upper- and
 * lower-cased (a tool may print them either way), and the password of any URL-valued variable (`DATABASE_URL`),
 * each long enough to be a secret.
 */
export const secretValues = (env: Readonly<Record<string, string | undefined>>): ReadonlyArray<string> => {
  const values = new Set<string>()
  const add = (value: string) => {
    if (value.length < MIN_SECRET_LENGTH) return
    values.add(value)
    values.add(value.toUpperCase())
    values.add(value.toLowerCase())
  }
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) continue
    const password = value.includes("://") ? urlPassword(value) : undefined
    if (password !== undefined) {
      add(password)
      if (password !== encodeURIComponent(password)) add(encodeURIComponent(password))
    }
    if (isSecretName(name)) add(value)
  }
  return Array.from(values)
}

/** Field names whose values are secrets wherever they stand (compared without case, `_`, `-` or `.`). */
export const defaultKeys: ReadonlyArray<string> = ["auth", "session_id", "sessionid", "dsn"]

/** Field-name endings that mark a secret: `password`, `db_password`, `client_secret`, `x-api-key`, ... */
export const defaultKeySuffixes: ReadonlyArray<string> = [
  "password",
  "passwd",
  "passphrase",
  "secret",
  "token",
  "api_key",
  "apikey",
  "authorization",
  "cookie",
  "private_key",
  "access_key",
  "secret_key",
  "credential",
  "credentials"
]

/**
 * The rules on by default (the CLI's, unless `victor.config.json` turns redaction off): secret-looking
 * environment values, fields named like secrets at any depth, and credentials inside URLs.
 */
export const defaults = (env: Readonly<Record<string, string | undefined>>): Rules => ({
  values: secretValues(env),
  keys: defaultKeys,
  keySuffixes: defaultKeySuffixes,
  urlCredentials: true
})

/** Merges rule sets: every list is joined; URL credentials are redacted when any set asks for it. */
export const merge = (...rules: ReadonlyArray<Rules>): Rules => ({
  values: rules.flatMap((r) => r.values ?? []),
  keys: rules.flatMap((r) => r.keys ?? []),
  paths: rules.flatMap((r) => r.paths ?? []),
  patterns: rules.flatMap((r) => r.patterns ?? []),
  keySuffixes: rules.flatMap((r) => r.keySuffixes ?? []),
  urlCredentials: rules.some((r) => r.urlCredentials === true)
})

const normalizeKey = (key: string) => key.toLowerCase().replace(/[-_.\s]/g, "")

/** `scheme://user:password@` : the password part, with user and host kept. */
const urlCredentialsPattern = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:@/?#"'<>]*):([^\s@/?#"'<>]+)@/gi

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

/** The identity redactor. */
export const none: Redactor = {
  active: false,
  trace: (trace) => trace,
  entry: (entry) => entry,
  event: (event) => event,
  node: (node) => node,
  toolCall: (toolCall) => toolCall,
  span: (span) => span,
  object: (object) => object,
  text: (text) => text,
  withSecretsOf: () => none
}

/**
 * What stands in for the redactor when no rule is on and the store writes traces out (the file store with redaction
 * turned off): it only bounds values to `Json.MAX_DEPTH` levels, so that what is written is the same whatever the
 * rules, and gives back what it is given (not a copy) when nothing is that deep.
 */
export const depthLimit: Redactor = (() => {
  const object = (o: JsonObject): JsonObject => boundedObject(o)
  const spanEvent = (e: SpanEvent): SpanEvent => {
    const attributes = object(e.attributes)
    return attributes === e.attributes ? e : { ...e, attributes }
  }
  const span = (s: SpanRecord): SpanRecord => {
    const attributes = object(s.attributes)
    const events = s.events === undefined ? undefined : mapSame(s.events, spanEvent)
    return attributes === s.attributes && events === s.events
      ? s
      : { ...s, attributes, ...(events === undefined ? {} : { events }) }
  }
  const spans = (list: ReadonlyArray<SpanRecord> | undefined) => list === undefined ? undefined : mapSame(list, span)
  const toolCall = (call: ToolCallRecord): ToolCallRecord => {
    const inputs = object(call.inputs)
    const outputs = object(call.outputs)
    const bounded = spans(call.spans)
    return inputs === call.inputs && outputs === call.outputs && bounded === call.spans
      ? call
      : { ...call, inputs, outputs, ...(bounded === undefined ? {} : { spans: bounded }) }
  }
  const node = (record: NodeTraceRecord): NodeTraceRecord => {
    const inputs = object(record.inputs)
    const outputs = object(record.outputs)
    const metadata = object(record.metadata)
    let toolCalls = record.toolCalls
    for (let i = 0; i < toolCalls.length; i++) {
      const call = toolCall(toolCalls[i]!)
      if (call === toolCalls[i]) continue
      if (toolCalls === record.toolCalls) toolCalls = toolCalls.slice()
      ;(toolCalls as Array<ToolCallRecord>)[i] = call
    }
    const bounded = spans(record.spans)
    return inputs === record.inputs && outputs === record.outputs && metadata === record.metadata &&
        toolCalls === record.toolCalls && bounded === record.spans
      ? record
      : { ...record, inputs, outputs, metadata, toolCalls, ...(bounded === undefined ? {} : { spans: bounded }) }
  }
  const event = (e: ExecutionEvent): ExecutionEvent => {
    if (e.data === undefined) return e
    const data = object(e.data)
    return data === e.data ? e : { ...e, data }
  }
  // A copy of `items` with `f` applied, or `items` itself when `f` changed none of them.
  const mapSame = <A>(items: ReadonlyArray<A>, f: (item: A) => A): ReadonlyArray<A> => {
    let out: Array<A> | undefined
    for (let i = 0; i < items.length; i++) {
      const item = f(items[i]!)
      if (out === undefined && item === items[i]) continue
      out ??= items.slice(0, i)
      out.push(item)
    }
    return out ?? items
  }
  const self: Redactor = {
    active: true,
    text: (text) => text,
    object,
    withSecretsOf: () => self,
    event,
    node,
    toolCall,
    span,
    entry: (entry) => {
      switch (entry._tag) {
        case "Event": {
          const e = event(entry.event)
          return e === entry.event ? entry : { _tag: "Event", event: e }
        }
        case "Span": {
          const s = span(entry.span)
          return s === entry.span ? entry : { ...entry, span: s }
        }
        case "NodeStarted": {
          const inputs = object(entry.node.inputs)
          return inputs === entry.node.inputs ? entry : { _tag: "NodeStarted", node: { ...entry.node, inputs } }
        }
        case "Node": {
          const n = node(entry.node)
          return n === entry.node ? entry : { _tag: "Node", node: n }
        }
        case "ToolCall": {
          const call = toolCall(entry.toolCall)
          return call === entry.toolCall ? entry : { _tag: "ToolCall", toolCall: call, nodeId: entry.nodeId }
        }
      }
    },
    trace: (trace) => {
      const inputs = object(trace.inputs)
      const outputs = object(trace.outputs)
      const metadata = object(trace.metadata)
      const nodes = mapSame(trace.nodes, node)
      const events = mapSame(trace.events, event)
      const bounded = spans(trace.spans)
      return inputs === trace.inputs && outputs === trace.outputs && metadata === trace.metadata &&
          nodes === trace.nodes && events === trace.events && bounded === trace.spans
        ? trace
        : { ...trace, inputs, outputs, metadata, nodes, events, ...(bounded === undefined ? {} : { spans: bounded }) }
    }
  }
  return self
})()

/** A redactor for these rules. */
export const make = (rules: Rules): Redactor => {
  const values = (rules.values ?? []).filter((v) => v.length > 0)
  // Longest first, so that a secret containing another is redacted whole.
  const sources = [
    ...values.slice().sort((a, b) => b.length - a.length).map(escapeRegExp),
    ...(rules.patterns ?? []).map((p) => (typeof p === "string" ? p : p.source))
  ]
  const scan = sources.length === 0 ? undefined : new RegExp(sources.map((s) => `(?:${s})`).join("|"), "g")
  const keys = new Set((rules.keys ?? []).map(normalizeKey))
  const suffixes = Array.from(new Set((rules.keySuffixes ?? []).map(normalizeKey)))
  const paths = (rules.paths ?? []).map((p) => p.split("."))
  const urls = rules.urlCredentials === true
  if (scan === undefined && keys.size === 0 && suffixes.length === 0 && paths.length === 0 && !urls) return none

  // Keys repeat across nodes: each name is judged once.
  const judged = new Map<string, boolean>()
  const isSecretKey = (key: string): boolean => {
    let secret = judged.get(key)
    if (secret === undefined) {
      const normal = normalizeKey(key)
      secret = keys.has(normal) || suffixes.some((suffix) => normal.endsWith(suffix))
      if (judged.size < 10_000) judged.set(key, secret)
    }
    return secret
  }

  const text = (s: string): string => {
    let out = s
    if (scan !== undefined) {
      scan.lastIndex = 0
      if (scan.test(out)) out = out.replace(scan, REDACTED)
    }
    if (urls && out.includes("://")) out = out.replace(urlCredentialsPattern, `$1:${REDACTED}@`)
    return out
  }

  // Walks a value, redacting strings, keys and the paths still pending (each a remaining list of segments). `depth`
  // counts the objects and arrays around the value, itself included: one nested deeper than `MAX_DEPTH` is cut off
  // (see `Json.MAX_DEPTH`), so the walk never goes deeper than that either.
  const walk = (value: unknown, pending: ReadonlyArray<ReadonlyArray<string>>, depth: number): unknown => {
    if (typeof value === "string") return text(value)
    if (typeof value !== "object" || value === null) return value
    if (depth > MAX_DEPTH) return DEPTH_LIMIT
    if (Array.isArray(value)) {
      const next = pending.length === 0 ? pending : pending.filter((p) => p[0] === "*").map((p) => p.slice(1))
      if (next.some((p) => p.length === 0)) return value.map(() => REDACTED)
      let changed = false
      const out = value.map((item) => {
        const r = walk(item, next, depth + 1)
        if (r !== item) changed = true
        return r
      })
      return changed ? out : value
    }
    let changed = false
    const out: Record<string, unknown> = {}
    for (const [key, child] of Object.entries(value)) {
      const next = pending.length === 0
        ? pending
        : pending.filter((p) => p[0] === key || p[0] === "*").map((p) => p.slice(1))
      let r: unknown
      if (isSecretKey(key) || next.some((p) => p.length === 0)) r = REDACTED
      else r = walk(child, next, depth + 1)
      if (r !== child) changed = true
      out[key] = r
    }
    return changed ? out : value
  }

  // The strings under secret keys of a value (every string below such a key), long enough to be secrets.
  const secretsOf = (value: unknown, found: Set<string>, underSecret: boolean, depth: number): void => {
    if (depth > MAX_DEPTH) return
    if (typeof value === "string") {
      if (underSecret && value.length >= MIN_SECRET_LENGTH) found.add(value)
      return
    }
    if (typeof value !== "object" || value === null) return
    if (Array.isArray(value)) {
      for (const item of value) secretsOf(item, found, underSecret, depth + 1)
      return
    }
    for (const [key, child] of Object.entries(value)) secretsOf(child, found, underSecret || isSecretKey(key), depth + 1)
  }

  const object = (o: JsonObject, root: string): JsonObject =>
    walk(o, paths.filter((p) => p[0] === root || p[0] === "*").map((p) => p.slice(1)), 1) as JsonObject
  const nullableText = (s: string | null): string | null => (s === null ? null : text(s))

  const spanEvent = (e: SpanEvent): SpanEvent => ({
    ...e,
    name: text(e.name),
    attributes: object(e.attributes, "attributes")
  })
  const span = (s: SpanRecord): SpanRecord => ({
    ...s,
    name: text(s.name),
    error: nullableText(s.error),
    attributes: object(s.attributes, "attributes"),
    ...(s.events === undefined ? {} : { events: s.events.map(spanEvent) })
  })
  const toolCall = (call: ToolCallRecord): ToolCallRecord => ({
    ...call,
    inputs: object(call.inputs, "inputs"),
    outputs: object(call.outputs, "outputs"),
    error: nullableText(call.error),
    ...(call.spans === undefined ? {} : { spans: call.spans.map(span) })
  })
  const node = (record: NodeTraceRecord): NodeTraceRecord => ({
    ...record,
    inputs: object(record.inputs, "inputs"),
    outputs: object(record.outputs, "outputs"),
    metadata: object(record.metadata, "metadata"),
    error: nullableText(record.error),
    toolCalls: record.toolCalls.map(toolCall),
    ...(record.spans === undefined ? {} : { spans: record.spans.map(span) })
  })
  const event = (e: ExecutionEvent): ExecutionEvent => {
    if (e.error === undefined && e.data === undefined) return e
    return {
      ...e,
      ...(e.error === undefined ? {} : { error: text(e.error) }),
      ...(e.data === undefined ? {} : { data: object(e.data, "data") })
    }
  }

  const self: Redactor = {
    active: true,
    text,
    object,
    withSecretsOf: (o) => {
      const found = new Set<string>()
      secretsOf(o, found, false, 0)
      for (const value of values) found.delete(value)
      return found.size === 0 ? self : make({ ...rules, values: [...values, ...found] })
    },
    event,
    node,
    toolCall,
    span,
    entry: (entry) => {
      switch (entry._tag) {
        case "Event":
          return { _tag: "Event", event: event(entry.event) }
        case "Span":
          return { ...entry, span: span(entry.span) }
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
      events: trace.events.map(event),
      ...(trace.spans === undefined ? {} : { spans: trace.spans.map(span) })
    })
  }
  return self
}

/** The redactor traces started in this context use; none by default. */
export class CurrentRedactor extends Context.Reference<CurrentRedactor>()("@victor/core/Redaction/CurrentRedactor", {
  defaultValue: (): Redactor => none
}) {}

/**
 * A trace handler that sees only redacted events and records: the tracer puts every handler of a trace behind this
 * (the event stream, the live view, a user's own), so that no sink gets what the store would not.
 */
export const handler = (redactor: Redactor, inner: TraceHandler): TraceHandler => {
  if (!redactor.active) return inner
  const { onEvent, onNodeComplete, onToolCall } = inner
  return {
    name: inner.name,
    ...(onEvent === undefined ? {} : { onEvent: (event, trace) => onEvent(redactor.event(event), trace) }),
    ...(onNodeComplete === undefined ? {} : { onNodeComplete: (node, trace) => onNodeComplete(redactor.node(node), trace) }),
    ...(onToolCall === undefined ? {} : {
      onToolCall: (toolCall, nodeId, trace) => onToolCall(redactor.toolCall(toolCall), nodeId, trace)
    })
  }
}

/** Installs a redactor for these rules. */
export const layer = (rules: Rules): Layer.Layer<never> => Layer.succeed(CurrentRedactor, make(rules))
