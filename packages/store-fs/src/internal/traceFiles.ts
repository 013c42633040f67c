/**
 * Details of the file system store: trace file names, the plain-words errors it reports, and how a trace file's JSON
 * is parsed and decoded into them.
 */
import type * as PlatformError from "@effect/platform/Error"
import * as TraceDecoder from "@victor/core/TraceDecoder"
import * as TraceId from "@victor/core/TraceId"
import * as TraceStore from "@victor/core/TraceStore"
import type * as WorkflowTrace from "@victor/core/WorkflowTrace"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"

/** The file name of a finished trace: `{workflow}_{traceId}.json`. */
export const fileName = (workflowName: string, traceId: string): string =>
  `${TraceId.fileSafeName(workflowName)}_${traceId}.json`

/** The file name of a running trace's journal: `{workflow}_{traceId}.jsonl`. */
export const journalFileName = (workflowName: string, traceId: string): string =>
  `${TraceId.fileSafeName(workflowName)}_${traceId}.jsonl`

/** Whether a directory entry may be a journal. */
export const isJournalFileName = (name: string): boolean => name.endsWith(".jsonl") && !name.startsWith(".")

/** Whether a directory entry may hold a trace (temp files and other hidden files start with a dot). */
export const isTraceFileName = (name: string): boolean => name.endsWith(".json") && !name.startsWith(".")

/** Whether a trace file name may belong to this id (a longer id ending in `_{id}` matches too; callers check). */
export const mayHoldId = (name: string, traceId: string): boolean =>
  isTraceFileName(name) && name.endsWith(`_${traceId}.json`)

/** Who writes a temp file, as its name says: the writer's pid and a tag of its host (see `hostTag`). */
export interface TempOwner {
  readonly pid: number
  readonly hostTag: string
}

/** A short tag of a host name (8 hex digits, FNV-1a), to put in file names: the name itself may hold anything. */
export const hostTag = (host: string): string => {
  let hash = 0x811c9dc5
  for (let i = 0; i < host.length; i++) hash = Math.imul(hash ^ host.charCodeAt(i), 0x01000193)
  return (hash >>> 0).toString(16).padStart(8, "0")
}

const randomPart = () => globalThis.crypto.randomUUID().replaceAll("-", "").slice(0, 12)

/**
 * The name of a fresh temp file next to the final one: `.{name}.{random}.{pid}-{hostTag}.tmp` (without the owner
 * when it is not known). It starts with a dot, so listings of traces never read it; the owner lets a later process
 * tell a temp file whose writer died (kill -9 during a save) from one being written.
 */
export const tempFileName = (name: string, owner?: { readonly pid: number; readonly host: string }): string => {
  const writer = owner === undefined ? "" : `.${owner.pid}-${hostTag(owner.host)}`
  return `${name.startsWith(".") ? "" : "."}${name}.${randomPart()}${writer}.tmp`
}

const tempPattern = /^\.(.+)\.[0-9a-f]{12}(?:\.(\d{1,10})-([0-9a-f]{8}))?\.tmp$/

/** A temp file's name taken apart: the name of the file it was to become, and its writer when the name says. */
export interface TempName {
  /** The final name (`{workflow}_{id}.json`, `.index.jsonl`, a blob's hash). */
  readonly target: string
  readonly owner: TempOwner | undefined
}

/** A temp file's name taken apart, or undefined when the name is not one of a temp file of the store. */
export const parseTempFileName = (name: string): TempName | undefined => {
  const match = tempPattern.exec(name)
  if (match === null) return undefined
  const rest = match[1]!
  // `.index.jsonl` keeps its own dot: `.index.jsonl.{random}.tmp`.
  const target = rest === "index.jsonl" || rest === "facts.jsonl" ? `.${rest}` : rest
  return {
    target,
    owner: match[2] === undefined ? undefined : { pid: Number(match[2]), hostTag: match[3]! }
  }
}

/** Whether a directory entry is a journal claimed by a recovery (`.{journal}.recovering-{random}`). */
export const isClaimFileName = (name: string): boolean => name.startsWith(".") && name.includes(".jsonl.recovering-")

/**
 * Whether a temp file's writer is gone, so that the file will never be finished: its name says it is a process of
 * this host that no longer exists; else (another host, a name without an owner, a pid now used by another program,
 * this very process) it has not been touched for the grace period. A temp file being written is touched by every
 * write.
 */
export const isOrphanedTemp = (
  temp: TempName,
  ageMs: number,
  graceMs: number,
  self: { readonly pid: number; readonly host: string } | undefined,
  isProcessAlive: ((pid: number) => boolean) | undefined
): boolean => {
  const owner = temp.owner
  if (
    owner !== undefined && self !== undefined && owner.pid !== self.pid && owner.hostTag === hostTag(self.host) &&
    isProcessAlive !== undefined && !isProcessAlive(owner.pid)
  ) return true
  return ageMs >= graceMs
}

/** Whether a platform error says the path does not exist. */
export const isNotFound = (error: PlatformError.PlatformError): boolean =>
  error._tag === "SystemError" && error.reason === "NotFound"

const reasonWords: Record<PlatformError.SystemErrorReason, string> = {
  AlreadyExists: "it already exists",
  BadResource: "a path component is not a directory, or the path is a directory",
  Busy: "the resource is busy",
  InvalidData: "invalid data",
  NotFound: "no such file or directory",
  PermissionDenied: "permission denied",
  TimedOut: "the operation timed out",
  UnexpectedEof: "unexpected end of file",
  Unknown: "an unexpected error",
  WouldBlock: "the operation would block",
  WriteZero: "nothing could be written (is the disk full?)"
}

// The runtime's own words when it has them: Node says "ENOTDIR: not a directory, open '/x'", Deno says
// "Not a directory (os error 20): open '/x'".
const runtimeWords = (description: string | undefined): string | undefined => {
  if (description === undefined) return undefined
  const node = /^E[A-Z0-9]+: ([^,]+)/.exec(description)
  if (node?.[1] !== undefined) return node[1].trim()
  const deno = /^(.+?) \(os error \d+\)/.exec(description)
  if (deno?.[1] !== undefined) return deno[1].trim().toLowerCase()
  return undefined
}

/** What went wrong, in plain words (e.g. "permission denied"). */
export const describePlatformError = (error: PlatformError.PlatformError): string => {
  if (error._tag === "BadArgument") return error.description ?? "invalid argument"
  switch (error.reason) {
    case "NotFound":
    case "PermissionDenied":
    case "AlreadyExists":
      return reasonWords[error.reason]
    default:
      return runtimeWords(error.description) ?? reasonWords[error.reason]
  }
}

/** An `Unavailable` error: `cannot {action} {path}: {what went wrong}`. */
export const unavailable = (action: string, path: string, traceId?: string) =>
(error: PlatformError.PlatformError): TraceStore.TraceStoreError =>
  new TraceStore.TraceStoreError({
    reason: "Unavailable",
    path,
    ...(traceId === undefined ? {} : { traceId }),
    description: `cannot ${action} ${path}: ${describePlatformError(error)}`
  })

/** An `Insecure` error: a file the store does not trust (a symbolic link), e.g. `trace file /d/x.json is a ...`. */
export const untrusted = (path: string, problem: string, what = "trace file", traceId?: string): TraceStore.TraceStoreError =>
  new TraceStore.TraceStoreError({
    reason: "Insecure",
    path,
    ...(traceId === undefined ? {} : { traceId }),
    description: `${what} ${path} ${problem}`
  })

/** A `Corrupt` error naming the file. */
export const corrupt = (path: string, problem: string, traceId?: string): TraceStore.TraceStoreError =>
  new TraceStore.TraceStoreError({
    reason: "Corrupt",
    path,
    ...(traceId === undefined ? {} : { traceId }),
    description: `trace file ${path} ${problem}`
  })

// JSON.parse does not always say where the text breaks (V8's "Unexpected token" messages give no position), so the
// position is found by a small scanner of the JSON grammar, run only on text that failed to parse.
const whitespace = new Set([" ", "\t", "\n", "\r"])
const numberPattern = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y
const hexPattern = /^[0-9a-fA-F]{4}$/

/** The offset of the first JSON syntax error in the text, or -1 if it is valid JSON. */
export const syntaxErrorOffset = (text: string): number => {
  const stack: Array<"{" | "["> = []
  const n = text.length
  let i = 0
  let state: "value" | "key" | "after" = "value"
  const skipWhitespace = () => {
    while (i < n && whitespace.has(text[i]!)) i++
  }
  const scanString = (): boolean => {
    i++
    while (i < n) {
      const code = text.charCodeAt(i)
      if (code === 0x22) {
        i++
        return true
      }
      if (code < 0x20) return false
      if (code === 0x5c) {
        const escaped = text[i + 1]
        if (escaped !== undefined && "\"\\/bfnrt".includes(escaped)) i += 2
        else if (escaped === "u" && hexPattern.test(text.slice(i + 2, i + 6))) i += 6
        else return false
        continue
      }
      i++
    }
    return false
  }
  while (true) {
    skipWhitespace()
    if (state === "value") {
      if (i >= n) return i
      const c = text[i]
      if (c === "{" || c === "[") {
        stack.push(c)
        i++
        skipWhitespace()
        if (text[i] === (c === "{" ? "}" : "]")) {
          i++
          stack.pop()
          state = "after"
        } else state = c === "{" ? "key" : "value"
        continue
      }
      if (c === "\"") {
        if (!scanString()) return i
      } else {
        const literal = ["true", "false", "null"].find((word) => text.startsWith(word, i))
        numberPattern.lastIndex = i
        const number = literal === undefined ? numberPattern.exec(text) : null
        if (literal !== undefined) i += literal.length
        else if (number !== null) i += number[0].length
        else return i
      }
      state = "after"
    } else if (state === "key") {
      if (text[i] !== "\"" || !scanString()) return i
      skipWhitespace()
      if (text[i] !== ":") return i
      i++
      state = "value"
    } else {
      const top = stack[stack.length - 1]
      if (top === undefined) return i < n ? i : -1
      const c = text[i]
      if (c === ",") {
        i++
        state = top === "{" ? "key" : "value"
      } else if (c === (top === "{" ? "}" : "]")) {
        i++
        stack.pop()
      } else return i
    }
  }
}

const describeSyntaxError = (text: string, offset: number): string => {
  if (offset >= text.length) return "it ends too early (is the file truncated?)"
  let line = 1
  let lineStart = 0
  for (let i = 0; i < offset; i++) {
    if (text.charCodeAt(i) === 0x0a) {
      line++
      lineStart = i + 1
    }
  }
  const found = String.fromCodePoint(text.codePointAt(offset)!)
  return `unexpected ${JSON.stringify(found)} at line ${line}, column ${offset - lineStart + 1}`
}

/** Parses a trace file's text, or a `Corrupt` error naming the file and where the JSON breaks. */
export const parseJson = (path: string, text: string): Either.Either<unknown, TraceStore.TraceStoreError> => {
  try {
    return Either.right(JSON.parse(text))
  } catch (cause) {
    const offset = syntaxErrorOffset(text)
    const where = offset >= 0
      ? describeSyntaxError(text, offset)
      : cause instanceof Error
      ? cause.message
      : String(cause)
    return Either.left(corrupt(path, `is not valid JSON: ${where}`))
  }
}

const formatPath = (path: ReadonlyArray<PropertyKey>): string =>
  path.length === 0
    ? "the top level"
    : path.map((key, i) => typeof key === "number" ? `[${key}]` : `${i === 0 ? "" : "."}${String(key)}`).join("")

const clip = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 3)}...`)

/** A `Corrupt` error naming the file and the first fields that do not decode. */
export const notATrace = (path: string, error: ParseResult.ParseError): TraceStore.TraceStoreError => {
  const issues = ParseResult.ArrayFormatter.formatErrorSync(error)
  const seen = new Set<string>()
  const lines: Array<string> = []
  for (const issue of issues) {
    const where = formatPath(issue.path)
    if (seen.has(where)) continue
    seen.add(where)
    lines.push(`${where}: ${clip(issue.message, 120)}`)
  }
  const shown = lines.slice(0, 3).join("; ")
  const more = lines.length > 3 ? ` (and ${lines.length - 3} more)` : ""
  return corrupt(path, `is not a valid trace: ${shown}${more}`)
}

/** Decodes a trace file's JSON (hand-written checks; Schema only to say what is wrong). */
export const decodeTrace = (
  file: string,
  json: unknown
): Effect.Effect<WorkflowTrace.WorkflowTrace, TraceStore.TraceStoreError> =>
  Effect.mapError(TraceDecoder.decodeUnknown(json), (error) => notATrace(file, error))

/** A `Corrupt` error for a trace that cannot be written: it holds a value JSON cannot represent. */
export const unencodable = (file: string, traceId: string) => (cause: unknown): TraceStore.TraceStoreError =>
  corrupt(
    file,
    `cannot be written: the trace holds a value JSON cannot represent (${
      cause instanceof Error ? cause.message : String(cause)
    })`,
    traceId
  )

/** The `trace_id` a parsed trace file declares, if it declares one. */
export const declaredTraceId = (json: unknown): string | undefined =>
  typeof json === "object" && json !== null && !Array.isArray(json) &&
    typeof (json as { trace_id?: unknown }).trace_id === "string"
    ? (json as { trace_id: string }).trace_id
    : undefined
