/**
 * What `victor trace list | show | export | rm | prune` do. Each opens the trace store (recovering the journals of
 * runs that died on the way, and moving what can never be used to its quarantine), prints plain text that reads the
 * same in a terminal, a pipe and a CI log, and reports a skipped or quarantined file as one warning line on stderr
 * (`StderrWarnings`), never on stdout. Names, ids, errors and previews from traces are escaped for the terminal
 * (`TerminalText`) before they are laid out.
 */
import type * as FileSystem from "@effect/platform/FileSystem"
import type * as Path from "@effect/platform/Path"
import * as ExporterRegistry from "@victor/core/ExporterRegistry"
import * as TraceBlobs from "@victor/core/TraceBlobs"
import * as TracePruning from "@victor/core/TracePruning"
import * as TraceStore from "@victor/core/TraceStore"
import * as WorkflowTrace from "@victor/core/WorkflowTrace"
import * as FileSystemTraceStore from "@victor/store-fs/FileSystemTraceStore"
import * as Clock from "effect/Clock"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { UsageError } from "../CliError.ts"
import * as ExportWriter from "../ExportWriter.ts"
import * as Summary from "../Summary.ts"
import * as TerminalText from "../TerminalText.ts"
import * as TraceOptions from "../TraceOptions.ts"
import * as TraceReference from "../TraceReference.ts"
import * as NodeNoFollowFileSystem from "./NodeNoFollowFileSystem.ts"
import * as NodeTraceStore from "./NodeTraceStore.ts"
import * as PushLedger from "./PushLedger.ts"
import * as StderrWarnings from "./StderrWarnings.ts"
import * as StoreLocation from "./StoreLocation.ts"
import * as Units from "./Units.ts"

type Env = FileSystem.FileSystem | Path.Path

const storeError = (error: TraceStore.TraceStoreError) => new UsageError({ description: error.message })

/** Runs a command with the store of `--store` (or its defaults, see `StoreLocation`). */
const withStore = <A, R>(
  traceDir: string | undefined,
  effect: (location: StoreLocation.StoreLocation) => Effect.Effect<A, UsageError, R | TraceStore.TraceStore>
): Effect.Effect<A, UsageError, Exclude<R, TraceStore.TraceStore> | Env> =>
  Effect.flatMap(StoreLocation.resolve(traceDir), (location) =>
    effect(location).pipe(
      Effect.provide(
        Layer.merge(NodeTraceStore.layerForCommand(location), StderrWarnings.layer)
      )
    )) as Effect.Effect<A, UsageError, Exclude<R, TraceStore.TraceStore> | Env>

// Plain loops: `trace list` lays out one row per stored trace (10,000 and more).
const pad = (rows: ReadonlyArray<ReadonlyArray<string>>, rightAligned: ReadonlySet<number> = new Set()): string => {
  const columns = rows[0]!.length
  const widths = new Array<number>(columns).fill(0)
  for (const row of rows) {
    for (let i = 0; i < columns; i++) widths[i] = Math.max(widths[i]!, row[i]!.length)
  }
  const lines = new Array<string>(rows.length)
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!
    let line = ""
    for (let i = 0; i < columns; i++) {
      const cell = row[i]!
      const text = rightAligned.has(i)
        ? cell.padStart(widths[i]!)
        : i === columns - 1
        ? cell
        : cell.padEnd(widths[i]!)
      line += i === 0 ? text : "  " + text
    }
    lines[r] = line.trimEnd()
  }
  return lines.join("\n")
}

const formatTime = (seconds: number): string => new Date(seconds * 1000).toISOString().replace("T", " ").slice(0, 19)

// The summary's wire form (the `WorkflowTrace.TraceSummary` schema's), with where `trace push` has it.
const summaryJson = (s: WorkflowTrace.TraceSummary, push: PushLedger.State | undefined) => ({
  ...WorkflowTrace.encodeSummary(s),
  push: push ?? null
})

/** The push ledger of a store (`trace push`), for the commands that show or remove traces; loads no OTLP code. */
const pushLedger = (location: StoreLocation.StoreLocation) =>
  Effect.provide(PushLedger.make(StoreLocation.localDirectory(location)), NodeNoFollowFileSystem.layer)

const statuses = ["running", "succeeded", "failed", "cancelled", "incomplete"] as const

/** `trace list`. */
export const list = (options: {
  readonly workflow: string | undefined
  readonly status: string | undefined
  readonly since: string | undefined
  readonly limit: number | undefined
  readonly json: boolean
  readonly traceDir: string | undefined
}): Effect.Effect<void, UsageError, Env> =>
  withStore(
    options.traceDir,
    (location) => Effect.gen(function*() {
      const status = options.status
      if (status !== undefined && !(statuses as ReadonlyArray<string>).includes(status)) {
        return yield* new UsageError({
          description: `--status: unknown status "${status}"; use one of ${statuses.join(", ")}, e.g. --status failed`
        })
      }
      if (options.limit !== undefined && options.limit < 1) {
        return yield* new UsageError({ description: `--limit must be at least 1, not ${options.limit}; e.g. --limit 20` })
      }
      const age = options.since === undefined ? undefined : yield* Units.parseAge("--since", options.since)
      const now = (yield* Clock.currentTimeMillis) / 1000
      const store = yield* TraceStore.TraceStore
      const summaries = yield* store.list({
        ...(options.workflow === undefined ? {} : { workflowName: options.workflow }),
        ...(status === undefined ? {} : { status: status as WorkflowTrace.TraceStatus }),
        ...(age === undefined ? {} : { since: now - age }),
        ...(options.limit === undefined ? {} : { limit: options.limit })
      }).pipe(Effect.mapError(storeError))
      // Newest first, like `ls -t`: the run just made is on top.
      const newestFirst = summaries.slice().reverse()
      // One read of the push ledger's directory: the state is in each entry's name.
      const pushStates = yield* Effect.flatMap(pushLedger(location), (ledger) => ledger.states).pipe(
        Effect.tapError((error) => Effect.logWarning(`push ledger: ${error.message}`)),
        Effect.orElseSucceed((): ReadonlyMap<string, PushLedger.State> => new Map())
      )
      if (options.json) {
        yield* Console.log(JSON.stringify(newestFirst.map((s) => summaryJson(s, pushStates.get(s.traceId))), null, 2))
        return
      }
      if (newestFirst.length === 0) {
        yield* Console.log("No stored traces match. Run one with: victor workflow trace FILE.yaml")
        return
      }
      // The OTLP column only once some listed trace was pushed or is waiting to be.
      const pushColumn = newestFirst.some((s) => pushStates.has(s.traceId))
      const rows = [
        ["TRACE ID", "WORKFLOW", "STATUS", "STARTED (UTC)", "DURATION", "NODES", "FAILED", ...(pushColumn ? ["OTLP"] : [])],
        ...newestFirst.map((s) => [
          TerminalText.escapeLine(s.traceId),
          TerminalText.escapeLine(s.workflowName),
          s.status,
          formatTime(s.startTime),
          Summary.formatDuration(s.durationSeconds),
          String(s.nodeCount),
          String(s.failedNodeCount),
          ...(pushColumn ? [pushStates.get(s.traceId) ?? ""] : [])
        ])
      ]
      yield* Console.log(pad(rows, new Set([4, 5, 6])))
    })
  )

const clip = (text: string, max: number) => {
  const flat = TerminalText.escapeLine(text.replace(/\s+/g, " "))
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat
}

// Effect spans (`EffectSpans`), each under the span that enclosed it: a line with its name and how it went, then its
// error and attributes.
const renderSpans = (
  spans: ReadonlyArray<WorkflowTrace.SpanRecord> | undefined,
  indent: string,
  json: (value: unknown) => string
): Array<string> =>
  WorkflowTrace.spanTree(spans).flatMap(({ depth, span }) => {
    const at = indent + "  ".repeat(depth)
    const kind = span.kind === "internal" ? "" : `${span.kind}, `
    const lines = [
      `${at}span ${TerminalText.escapeLine(span.name)} (${kind}${span.success ? "ok" : "failed"}, ${
        Summary.formatDuration(span.durationSeconds)
      })`
    ]
    if (span.error !== null) lines.push(`${at}  error:      ${clip(span.error, 200)}`)
    if (Object.keys(span.attributes).length > 0) lines.push(`${at}  attributes: ${json(span.attributes)}`)
    return lines
  })

const renderNodes = (trace: WorkflowTrace.WorkflowTrace, full: boolean): string => {
  const json = (value: unknown) =>
    full
      ? TerminalText.escape(JSON.stringify(value, null, 2)).replaceAll("\n", "\n      ")
      : clip(JSON.stringify(value), 120)
  const outside = trace.spans === undefined || trace.spans.length === 0
    ? []
    : ["", "spans outside any node", ...renderSpans(trace.spans, "  ", json)]
  if (trace.nodes.length === 0) return ["No nodes.", ...outside].join("\n")
  const rows = [
    ["NODE", "TYPE", "STATUS", "DURATION", "TOOLS", "ERROR"],
    ...trace.nodes.map((n) => [
      TerminalText.escapeLine(n.nodeId),
      TerminalText.escapeLine(n.nodeType),
      n.success ? "ok" : "failed",
      Summary.formatDuration(n.durationSeconds),
      String(n.toolCalls.length),
      n.error === null ? "" : clip(n.error, 80)
    ])
  ]
  const lines = [pad(rows, new Set([3, 4]))]
  for (const node of trace.nodes) {
    lines.push("", `${TerminalText.escapeLine(node.nodeId)} (${TerminalText.escapeLine(node.nodeType)})`)
    lines.push(`  inputs:  ${json(node.inputs)}`, `  outputs: ${json(node.outputs)}`)
    for (const call of node.toolCalls) {
      lines.push(
        `  tool ${TerminalText.escapeLine(call.toolName)} (${call.success ? "ok" : "failed"}, ${
          Summary.formatDuration(call.durationSeconds)
        })`,
        `    inputs:  ${json(call.inputs)}`,
        `    outputs: ${json(call.outputs)}`
      )
      if (call.error !== null) lines.push(`    error:   ${clip(call.error, 200)}`)
      lines.push(...renderSpans(call.spans, "    ", json))
    }
    lines.push(...renderSpans(node.spans, "  ", json))
  }
  lines.push(...outside)
  return lines.join("\n")
}

/** `trace show`. */
export const show = (options: {
  readonly reference: string | undefined
  /** `--file PATH`: a trace file, whatever its name. */
  readonly file?: string | undefined
  readonly full: boolean
  readonly traceDir: string | undefined
}): Effect.Effect<void, UsageError, Env> =>
  withStore(
    options.traceDir,
    () => Effect.gen(function*() {
      const store = yield* TraceStore.TraceStore
      const stored = yield* TraceReference.resolveArguments({ reference: options.reference, file: options.file })
      const trace = options.full ? yield* TraceBlobs.resolve(stored).pipe(Effect.mapError(storeError)) : stored
      yield* Console.log(Summary.render(trace, [["Started", `${formatTime(trace.startTime)} UTC`]]))
      yield* Console.log("")
      yield* Console.log(renderNodes(trace, options.full))
    })
  )

/** `trace export`: the trace (blobs resolved) through an exporter of the registry, to a file or stdout. */
export const exportTrace = (options: {
  readonly reference: string | undefined
  /** `--file PATH`: a trace file, whatever its name. */
  readonly file?: string | undefined
  readonly format: string | undefined
  readonly output: string | undefined
  readonly traceDir: string | undefined
}): Effect.Effect<void, UsageError, Env> =>
  withStore(
    options.traceDir,
    () => Effect.gen(function*() {
      const registry = yield* ExporterRegistry.ExporterRegistry
      const exporter = yield* TraceOptions.resolveExporter(registry, options.format, options.output)
      const store = yield* TraceStore.TraceStore
      const stored = yield* TraceReference.resolveArguments({ reference: options.reference, file: options.file })
      const trace = yield* TraceBlobs.resolve(stored).pipe(Effect.mapError(storeError))
      const bytes = exporter.export(trace)
      // No -o, or -o -: the export goes to stdout, for a pipe, and nothing else does.
      const toStdout = options.output === undefined || ExportWriter.isStdout(options.output)
      const written = yield* ExportWriter.write(options.output ?? "-", bytes).pipe(
        Effect.mapError((error) =>
          error instanceof UsageError
            ? error
            : new UsageError({ description: `cannot export ${trace.traceId}: ${error.message}` })
        )
      )
      if (toStdout) return
      yield* Console.log(`Exported ${trace.traceId} as ${exporter.name} to ${options.output} (${Units.formatBytes(written)})`)
    }).pipe(
      // The exporters are loaded only by the command that uses them, so `trace list` starts faster.
      Effect.provide(Layer.unwrapEffect(Effect.promise(() => import("../BundledExporters.ts").then((m) => m.layerFromConfig))))
    )
  )

/** Drops a removed trace's push ledger entry; one that cannot be removed is a warning (the trace is gone). */
const forgetPush = (ledger: PushLedger.PushLedger, traceId: string) =>
  ledger.forget(traceId).pipe(
    Effect.catchAll((error) => Effect.logWarning(`push ledger: ${error.message}`))
  )

/** `trace rm`. */
export const rm = (options: {
  readonly references: ReadonlyArray<string>
  readonly traceDir: string | undefined
}): Effect.Effect<void, UsageError, Env> =>
  withStore(
    options.traceDir,
    (location) => Effect.gen(function*() {
      const store = yield* TraceStore.TraceStore
      const ledger = yield* pushLedger(location)
      // Only stored traces are removed: a path is refused (`resolveId`), never read or deleted.
      for (const reference of options.references) {
        const id = yield* TraceReference.resolveId(reference)
        yield* store.remove(id).pipe(Effect.mapError(storeError))
        yield* forgetPush(ledger, id)
        yield* Console.log(`Removed ${id}`)
      }
    })
  )

/** `trace prune`. */
export const prune = (options: {
  readonly olderThan: string | undefined
  readonly keepLast: number | undefined
  readonly maxSize: string | undefined
  readonly dryRun: boolean
  readonly traceDir: string | undefined
}): Effect.Effect<void, UsageError, Env> =>
  withStore(
    options.traceDir,
    (location) => Effect.gen(function*() {
      if (options.keepLast !== undefined && options.keepLast < 0) {
        return yield* new UsageError({ description: `--keep-last must be 0 or more, not ${options.keepLast}` })
      }
      const age = options.olderThan === undefined ? undefined : yield* Units.parseAge("--older-than", options.olderThan)
      const maxBytes = options.maxSize === undefined ? undefined : yield* Units.parseSize("--max-size", options.maxSize)
      const now = (yield* Clock.currentTimeMillis) / 1000
      const result = yield* TracePruning.prune({
        ...(age === undefined ? {} : { startedBefore: now - age }),
        ...(options.keepLast === undefined ? {} : { keepLast: options.keepLast }),
        ...(maxBytes === undefined ? {} : { maxBytes }),
        dryRun: options.dryRun
      }).pipe(Effect.mapError(storeError))
      if (!result.dryRun) {
        const ledger = yield* pushLedger(location)
        for (const s of result.removed) yield* forgetPush(ledger, s.traceId)
      }
      const verb = result.dryRun ? "Would remove" : "Removed"
      for (const s of result.removed) {
        yield* Console.log(
          TerminalText.escapeLine(`${verb} ${s.traceId}  ${s.workflowName}  ${s.status}  ${formatTime(s.startTime)}`)
        )
      }
      // Files that were never usable traces (quarantined, unfinished writes of dead runs) go whatever the rules.
      const strays = FileSystemTraceStore.straysOf(result)
      for (const stray of strays) {
        yield* Console.log(
          TerminalText.escapeLine(`${verb} ${stray.file} (${Units.formatBytes(stray.bytes)}): it ${stray.reason}`)
        )
      }
      const count = (n: number, what: string) => `${n} ${what}${n === 1 ? "" : "s"}`
      yield* Console.log(
        `${verb} ${count(result.removed.length, "trace")} and ${count(result.blobsRemoved, "unreferenced blob")}` +
          (strays.length === 0 ? "" : `, and ${count(strays.length, "stray file")}`) +
          `, freeing ${Units.formatBytes(result.freedBytes)}` +
          (result.dryRun ? " (dry run: nothing was removed)" : "")
      )
    })
  )
