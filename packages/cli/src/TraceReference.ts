/**
 * What a user may type wherever a command takes a trace: a trace file (`trace.json`, any path), `last` (the newest
 * stored trace, optionally of one workflow), a stored trace id, or a unique prefix of one. Shared by `trace show`,
 * `trace export`, `trace analyze` and `trace compare`, so that they all accept the same things.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as TraceStore from "@victor/core/TraceStore"
import * as WorkflowTrace from "@victor/core/WorkflowTrace"
import * as Effect from "effect/Effect"
import * as ParseResult from "effect/ParseResult"
import { UsageError } from "./CliError.ts"

/** Whether the text names a file rather than a stored trace: it has a path separator or a `.json` extension. */
const looksLikeFile = (reference: string): boolean =>
  reference.includes("/") || reference.includes("\\") || reference.toLowerCase().endsWith(".json")

/** Reads and decodes a trace file; every failure names the file and says what to do. */
export const readFile = (
  file: string
): Effect.Effect<WorkflowTrace.WorkflowTrace, UsageError, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const text = yield* fs.readFileString(file).pipe(
      Effect.mapError((error) =>
        new UsageError({
          description: error._tag === "SystemError" && error.reason === "NotFound"
            ? `${file}: no such trace file; check the path, or give a stored trace id (see victor trace list)`
            : `${file}: cannot read the trace file: ${error.message}`
        })
      )
    )
    const json = yield* Effect.try({
      try: () => JSON.parse(text) as unknown,
      catch: (error) =>
        new UsageError({
          description: `${file}: not valid JSON (${error instanceof Error ? error.message : String(error)}); ` +
            `a trace file is what victor workflow trace -o FILE.json writes`
        })
    })
    return yield* WorkflowTrace.decodeUnknown(json).pipe(
      Effect.mapError((error) =>
        new UsageError({
          description: `${file}: not a Victor trace: ${ParseResult.TreeFormatter.formatErrorSync(error).split("\n").slice(0, 6).join(" ")}`
        })
      )
    )
  })

const storeError = (error: TraceStore.TraceStoreError): UsageError =>
  new UsageError({ description: error.message })

/** The trace id a stored-trace reference (`last`, an id or a unique prefix) stands for. */
export const resolveId = (
  reference: string,
  options: { readonly workflowName?: string } = {}
): Effect.Effect<string, UsageError, TraceStore.TraceStore> =>
  Effect.gen(function*() {
    const store = yield* TraceStore.TraceStore
    const summaries = yield* store.list(options.workflowName === undefined ? {} : { workflowName: options.workflowName })
      .pipe(Effect.mapError(storeError))
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
    return yield* new UsageError({
      description: `no stored trace '${reference}'; see victor trace list, or give a trace file path`
    })
  })

/** The trace a reference stands for: a file, or a stored trace (`last`, an id or a unique prefix). */
export const resolve = (
  reference: string,
  options: { readonly workflowName?: string } = {}
): Effect.Effect<WorkflowTrace.WorkflowTrace, UsageError, TraceStore.TraceStore | FileSystem.FileSystem> =>
  Effect.gen(function*() {
    if (looksLikeFile(reference)) return yield* readFile(reference)
    const fs = yield* FileSystem.FileSystem
    // A bare name that exists as a file in the working directory is that file.
    if (reference !== "last" && (yield* fs.exists(reference).pipe(Effect.orElseSucceed(() => false)))) {
      return yield* readFile(reference)
    }
    const traceId = yield* resolveId(reference, options)
    const store = yield* TraceStore.TraceStore
    return yield* store.get(traceId).pipe(Effect.mapError(storeError))
  })
