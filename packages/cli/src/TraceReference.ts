/**
 * What a user may type wherever a command takes a trace: `last` (the newest stored trace, optionally of one
 * workflow), a stored trace id, a unique prefix of one, or a trace file. A file is given with `--file PATH`, or
 * positionally when it is unmistakably a path (it has a path separator or ends in `.json`); a bare name is always a
 * stored trace, never a file that happens to exist in the working directory. Shared by `trace show`, `trace export`,
 * `trace rm`, `trace analyze` and `trace compare`, so that they all accept the same things.
 *
 * A trace file is data: when it is not a trace, the error names the file and the reason, and quotes none of its
 * content (not a line of `/etc/passwd`, not the value of a field that did not decode).
 */
import type { PlatformError } from "@effect/platform/Error"
import * as FileSystem from "@effect/platform/FileSystem"
import * as TraceDecoder from "@victor/core/TraceDecoder"
import * as TraceStore from "@victor/core/TraceStore"
import * as WorkflowTrace from "@victor/core/WorkflowTrace"
import * as Effect from "effect/Effect"
import * as ParseResult from "effect/ParseResult"
import * as SchemaAST from "effect/SchemaAST"
import { UsageError } from "./CliError.ts"
import * as JsonPosition from "./internal/jsonPosition.ts"

/** Whether a reference names a file rather than a stored trace: it has a path separator or a `.json` extension. */
export const isPath = (reference: string): boolean =>
  reference.includes("/") || reference.includes("\\") || reference.toLowerCase().endsWith(".json")

/** The largest trace file read (a trace keeps large payloads in blobs; JSON.parse holds the text several times). */
export const maxFileBytes = 256 * 1024 * 1024

const formatMiB = (bytes: number): string => `${Math.round(bytes / 104857.6) / 10} MiB`

const fileKinds: Partial<Record<FileSystem.File.Type, string>> = {
  Directory: "a directory",
  CharacterDevice: "a character device",
  BlockDevice: "a block device",
  FIFO: "a FIFO",
  Socket: "a socket"
}

// A property key of an error path: the schema's field names, array indices; anything else only as `[…]`.
const pathSegment = (key: PropertyKey): string =>
  typeof key === "number"
    ? `[${key}]`
    : typeof key === "string" && /^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(key)
    ? `.${key}`
    : "[…]"

// What a schema expects, in its own words (never the value found): `string`, `"running" | "succeeded" | ...`.
const expected = (ast: SchemaAST.AST): string => {
  if (SchemaAST.isTypeLiteral(ast)) return "an object"
  if (SchemaAST.isTupleType(ast)) return "an array"
  const text = String(ast)
  return text.length > 100 ? `${text.slice(0, 99)}…` : text
}

interface Problem {
  readonly path: ReadonlyArray<PropertyKey>
  readonly what: string
}

/** The leaves of a decode failure: where each problem is and what was expected there. */
const problems = (issue: ParseResult.ParseIssue, path: ReadonlyArray<PropertyKey>): Array<Problem> => {
  switch (issue._tag) {
    case "Pointer":
      return problems(issue.issue, [...path, ...(Array.isArray(issue.path) ? issue.path : [issue.path])])
    case "Transformation":
      return problems(issue.issue, path)
    case "Refinement":
      return issue.kind === "From" ? problems(issue.issue, path) : [{ path, what: `expected ${expected(issue.ast)}` }]
    case "Composite": {
      const issues = Array.isArray(issue.issues) ? issue.issues : [issue.issues as ParseResult.ParseIssue]
      if (SchemaAST.isUnion(issue.ast)) {
        // A member the value partly matched (an object with a bad field) says more than the whole union.
        const closer = issues.find((member) => member._tag !== "Type")
        return closer === undefined ? [{ path, what: `expected ${expected(issue.ast)}` }] : problems(closer, path)
      }
      return issues.flatMap((member) => problems(member, path))
    }
    case "Type":
      return [{ path, what: `expected ${expected(issue.ast)}` }]
    case "Missing":
      return [{ path, what: "missing" }]
    case "Unexpected":
      return [{ path, what: "not allowed" }]
    case "Forbidden":
      return [{ path, what: "could not be checked" }]
  }
}

/** A decode failure in one line: the first field and what it should be, and how many more there are. */
const describeDecodeError = (error: ParseResult.ParseError): string => {
  const found = problems(error.issue, [])
  const first = found[0]
  if (first === undefined) return "it does not decode"
  const where = first.path.length === 0 ? "the top level" : first.path.map(pathSegment).join("").replace(/^\./, "")
  const more = found.length > 1 ? ` (and ${found.length - 1} more problem${found.length === 2 ? "" : "s"})` : ""
  return `${where}: ${first.what}${more}`
}

/** Reads and decodes a trace file; every failure is one line that names the file and the reason. */
export const readFile = (
  file: string
): Effect.Effect<WorkflowTrace.WorkflowTrace, UsageError, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const refuse = (reason: string) => new UsageError({ description: `${file}: ${reason}` })
    const unreadable = (error: PlatformError) => {
      if (error._tag === "SystemError" && error.reason === "NotFound") {
        return refuse("no such trace file; check the path, or give a stored trace id (see victor trace list)")
      }
      // Node's description reads "ECODE: what happened, syscall 'path'": keep what happened.
      const what = error._tag === "SystemError" ? /^[A-Z0-9_]+: ([^,]+)/.exec(error.description ?? "")?.[1] : undefined
      return refuse(`cannot read the trace file${what === undefined ? "" : `: ${what}`}`)
    }
    const info = yield* fs.stat(file).pipe(Effect.mapError(unreadable))
    if (info.type !== "File") {
      return yield* refuse(`${fileKinds[info.type] ?? "not a regular file"}, not a trace file`)
    }
    if (Number(info.size) > maxFileBytes) {
      return yield* refuse(
        `${formatMiB(Number(info.size))}, too large for a trace file (the limit is ${formatMiB(maxFileBytes)})`
      )
    }
    const bytes = yield* fs.readFile(file).pipe(Effect.mapError(unreadable))
    if (bytes.length > maxFileBytes) {
      return yield* refuse(`too large for a trace file (the limit is ${formatMiB(maxFileBytes)})`)
    }
    // JSON text never holds a NUL byte: this is an image, an archive, a UTF-16 file, ...
    if (bytes.includes(0)) return yield* refuse("binary data, not a JSON trace file")
    const text = yield* Effect.try({
      try: () => new TextDecoder("utf-8", { fatal: true }).decode(bytes),
      catch: () => refuse("not UTF-8 text, not a JSON trace file")
    })
    const json = yield* Effect.try({
      try: () => JSON.parse(text) as unknown,
      // JSON.parse's message quotes the text around the error: only its position is reported.
      catch: () => {
        const at = JsonPosition.lineColumn(text, JsonPosition.firstError(text))
        return refuse(
          `not JSON (line ${at.line}, column ${at.column}); ` +
            "a trace file is what victor workflow trace -o FILE.json writes"
        )
      }
    })
    // The store's decoder: the same result as the Schema, several times faster on a large trace (issue 13).
    return yield* TraceDecoder.decodeUnknown(json).pipe(
      Effect.mapError((error) => refuse(`not a Victor trace: ${describeDecodeError(error)}`))
    )
  })

const storeError = (error: TraceStore.TraceStoreError): UsageError => new UsageError({ description: error.message })

const notFound = (reference: string, hint: string): UsageError =>
  new UsageError({ description: `no stored trace '${reference}'; see victor trace list${hint}` })

/** The id of the stored trace a reference (`last`, an id or a unique prefix) stands for; undefined when none. */
const lookup = (
  reference: string,
  options: { readonly workflowName?: string }
): Effect.Effect<string | undefined, UsageError, TraceStore.TraceStore> =>
  Effect.gen(function*() {
    if (isPath(reference)) {
      return yield* new UsageError({
        description: `${reference} is a file path, not a stored trace: give a trace id, a unique prefix of ` +
          "one, or last (see victor trace list)"
      })
    }
    if (reference.trim() === "") {
      return yield* new UsageError({
        description: "an empty trace reference: give a trace id, a unique prefix of one, or last " +
          "(see victor trace list)"
      })
    }
    const store = yield* TraceStore.TraceStore
    const query = options.workflowName === undefined ? {} : { workflowName: options.workflowName }
    const summaries = yield* store.list(query).pipe(Effect.mapError(storeError))
    if (reference === "last") {
      const newest = summaries.at(-1)
      if (newest === undefined) {
        return yield* new UsageError({
          description: options.workflowName === undefined
            ? "no stored traces yet; run victor workflow trace FILE.yaml first"
            : `no stored traces of workflow '${options.workflowName}'`
        })
      }
      return newest.traceId
    }
    const exact = summaries.find((summary) => summary.traceId === reference)
    if (exact !== undefined) return exact.traceId
    const matching = summaries.filter((summary) => summary.traceId.startsWith(reference))
    if (matching.length === 1) return matching[0]!.traceId
    if (matching.length > 1) {
      return yield* new UsageError({
        description: `trace id prefix '${reference}' matches ${matching.length} traces (` +
          matching.slice(0, 5).map((summary) => summary.traceId).join(", ") +
          (matching.length > 5 ? ", ..." : "") + "); give more characters"
      })
    }
    return undefined
  })

/** The trace id a stored-trace reference (`last`, an id or a unique prefix) stands for; a path is never one. */
export const resolveId = (
  reference: string,
  options: { readonly workflowName?: string } = {}
): Effect.Effect<string, UsageError, TraceStore.TraceStore> =>
  Effect.flatMap(
    lookup(reference, options),
    (id) => (id === undefined ? Effect.fail(notFound(reference, "")) : Effect.succeed(id))
  )

/**
 * The trace a reference stands for: a file when it is unmistakably a path (see `isPath`), else a stored trace
 * (`last`, an id or a unique prefix).
 */
export const resolve = (
  reference: string,
  options: { readonly workflowName?: string } = {}
): Effect.Effect<WorkflowTrace.WorkflowTrace, UsageError, TraceStore.TraceStore | FileSystem.FileSystem> =>
  Effect.gen(function*() {
    if (isPath(reference)) return yield* readFile(reference)
    const traceId = yield* lookup(reference, options)
    if (traceId === undefined) {
      // A stored trace that is not listed because it cannot be read (corrupt, set aside in the store's quarantine) is
      // named with its file and the reason, not reported missing.
      const unlisted = yield* Effect.either(Effect.flatMap(TraceStore.TraceStore, (store) => store.get(reference)))
      if (unlisted._tag === "Right") return unlisted.right
      if (unlisted.left.reason === "Corrupt" || unlisted.left.reason === "Insecure") {
        return yield* storeError(unlisted.left)
      }
      // An id is never a path; a file of that name here only earns a hint.
      const fs = yield* FileSystem.FileSystem
      const here = yield* fs.exists(reference).pipe(Effect.orElseSucceed(() => false))
      return yield* notFound(
        reference,
        here
          ? `; to read the file ${reference} here as a trace, give ./${reference}`
          : ", or give a trace file as a path, e.g. ./trace.json"
      )
    }
    const store = yield* TraceStore.TraceStore
    return yield* store.get(traceId).pipe(Effect.mapError(storeError))
  })

/**
 * The trace of a command that takes either a positional reference or `--file PATH`: exactly one of them.
 * `--file` reads any path as a trace file, whatever its name.
 */
export const resolveArguments = (
  args: { readonly reference: string | undefined; readonly file: string | undefined },
  options: { readonly workflowName?: string } = {}
): Effect.Effect<WorkflowTrace.WorkflowTrace, UsageError, TraceStore.TraceStore | FileSystem.FileSystem> => {
  if (args.reference !== undefined && args.file !== undefined) {
    return Effect.fail(
      new UsageError({ description: "give a stored trace or --file PATH, not both; e.g. last, or --file trace.json" })
    )
  }
  if (args.file !== undefined) return readFile(args.file)
  if (args.reference !== undefined) return resolve(args.reference, options)
  return Effect.fail(
    new UsageError({
      description: "which trace? give a trace id, a unique prefix of one, last, or --file PATH; e.g. last"
    })
  )
}
