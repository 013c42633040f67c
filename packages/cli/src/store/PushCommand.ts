/**
 * What `victor trace push` does: send stored traces (or trace files) to an OTLP/HTTP collector, the ones named or
 * every one the push ledger holds pending (`--pending`, oldest first, progress on stderr). Each is marked pending
 * before it is sent and pushed once the collector took it (`TracePush`); a trace the collector did not take is one
 * line on stderr naming the endpoint, the trace and the status, and the command exits 1. A collector that is down or
 * refuses every trace alike (401, 403, 404) ends the command at the first such answer: the rest stay pending.
 */
import type * as FileSystem from "@effect/platform/FileSystem"
import type * as Path from "@effect/platform/Path"
import * as TraceBlobs from "@victor/core/TraceBlobs"
import * as TraceStore from "@victor/core/TraceStore"
import type * as WorkflowTrace from "@victor/core/WorkflowTrace"
import * as OtlpEndpoint from "@victor/exporter-otlp/OtlpEndpoint"
import type * as OtlpPush from "@victor/exporter-otlp/OtlpPush"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { PushFailed, UsageError } from "../CliError.ts"
import * as TraceReference from "../TraceReference.ts"
import * as NodeTraceStore from "./NodeTraceStore.ts"
import * as StoreLocation from "./StoreLocation.ts"
import type * as PushLedger from "./PushLedger.ts"
import * as StderrWarnings from "./StderrWarnings.ts"
import * as TracePush from "./TracePush.ts"

/** The option values of `trace push`. */
export interface PushCommandOptions {
  readonly references: ReadonlyArray<string>
  /** `--file PATH`: trace files, whatever their names. */
  readonly files: ReadonlyArray<string>
  readonly pending: boolean
  readonly endpoint: string | undefined
  readonly headers: ReadonlyArray<string>
  readonly protocol: string | undefined
  readonly timeoutMillis: number | undefined
  readonly traceDir: string | undefined
}

/** A trace to push: stored (with the ledger) or a file's (without). */
interface Item {
  readonly label: string
  readonly load: Effect.Effect<WorkflowTrace.WorkflowTrace, UsageError, TraceStore.TraceStore | FileSystem.FileSystem>
  readonly stored: boolean
  readonly recorded: Option.Option<PushLedger.Entry>
}

const storeError = (error: TraceStore.TraceStoreError) => new UsageError({ description: error.message })

const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? "" : "s"}`

/** A stored trace, its blobs read back (a missing blob leaves its preview, with a warning). */
const loadStored = (traceId: string) =>
  Effect.gen(function*() {
    const store = yield* TraceStore.TraceStore
    const stored = yield* store.get(traceId).pipe(Effect.mapError(storeError))
    return yield* TraceBlobs.resolve(stored).pipe(
      Effect.catchAll((error) =>
        Effect.as(Effect.logWarning(`${error.message}; pushing trace ${traceId} with the previews it keeps`), stored)
      )
    )
  })

/** The one line of a push that stopped (without `victor: `). */
const failureLine = (error: OtlpPush.PushError, traceId: string, stored: boolean): string => {
  if (error.reason === "Rejected") return error.message.replace("rejected the trace", `rejected trace ${traceId}`)
  return `${error.message}; trace ${traceId} ${
    stored ? "stays pending: send it later with: victor trace push --pending" : "was not pushed"
  }`
}

/** `trace push`. */
export const run = (options: PushCommandOptions): Effect.Effect<void, UsageError | PushFailed, FileSystem.FileSystem | Path.Path> =>
  Effect.flatMap(StoreLocation.resolve(options.traceDir), (location) => runAt(options, location))

const runAt = (options: PushCommandOptions, location: StoreLocation.StoreLocation) =>
  Effect.gen(function*() {
    const named = options.references.length + options.files.length
    if (options.pending && named > 0) {
      return yield* new UsageError({
        description: "give traces or --pending, not both; e.g. victor trace push last, or victor trace push --pending"
      })
    }
    if (!options.pending && named === 0) {
      return yield* new UsageError({
        description: "which traces? give trace ids, unique prefixes, last, --file PATH, or --pending (every trace " +
          "not pushed yet); e.g. victor trace push last"
      })
    }
    if (options.timeoutMillis !== undefined && options.timeoutMillis < 1) {
      return yield* new UsageError({
        description: `--timeout must be at least 1 (milliseconds), not ${options.timeoutMillis}; e.g. --timeout 10000`
      })
    }
    const overrides = {
      endpoint: options.endpoint,
      headers: options.headers,
      protocol: options.protocol,
      ...(options.timeoutMillis === undefined ? {} : { timeoutMillis: options.timeoutMillis })
    }
    // Checked before anything is sent: a bad URL, header or protocol is bad input.
    const flagged = yield* Either.match(OtlpEndpoint.resolve(process.env, overrides), {
      onLeft: (error) => Effect.fail(new UsageError({ description: error.message })),
      onRight: Effect.succeed
    })
    // Without --endpoint, a pending trace goes where its last push went (headers still from flags and environment);
    // a recorded URL whose query values were masked cannot be used as is.
    const endpointOf = (recorded: Option.Option<PushLedger.Entry>): OtlpEndpoint.Endpoint => {
      if (!options.pending || options.endpoint !== undefined || Option.isNone(recorded)) return flagged
      const entry = recorded.value
      if (entry.endpoint.includes("***")) return flagged
      return Either.getOrElse(
        OtlpEndpoint.resolve(process.env, {
          ...overrides,
          endpoint: entry.endpoint,
          protocol: options.protocol ?? entry.protocol
        }),
        () => flagged
      )
    }

    const store = yield* TraceStore.TraceStore
    const book = yield* TracePush.ledger(StoreLocation.localDirectory(location))
    const readEntry = (traceId: string) =>
      book.read(traceId).pipe(
        Effect.tapError((error) => Effect.logWarning(`push ledger: ${error.message}`)),
        Effect.orElseSucceed(() => Option.none<PushLedger.Entry>())
      )

    // What to push, every reference checked before anything is sent.
    const items: Array<Item> = []
    if (options.pending) {
      const states = yield* book.states.pipe(Effect.mapError((error) => new UsageError({ description: error.message })))
      const pending = new Set(Array.from(states).flatMap(([id, state]) => (state === "pending" ? [id] : [])))
      // Oldest first: the order the store lists them.
      for (const summary of yield* store.list().pipe(Effect.mapError(storeError))) {
        if (!pending.delete(summary.traceId)) continue
        items.push({
          label: summary.traceId,
          load: loadStored(summary.traceId),
          stored: true,
          recorded: yield* readEntry(summary.traceId)
        })
      }
      for (const gone of pending) {
        yield* Effect.logWarning(`trace ${gone} was pending a push but is no longer stored; dropped from the push ledger`)
        yield* Effect.ignore(book.forget(gone))
      }
      if (items.length === 0) {
        yield* Console.log("Nothing to push: no stored trace is pending.")
        return
      }
      yield* Console.error(`Pushing ${plural(items.length, "pending trace")}, oldest first`)
    } else {
      for (const reference of options.references) {
        if (TraceReference.isPath(reference)) {
          items.push({ label: reference, load: TraceReference.readFile(reference), stored: false, recorded: Option.none() })
        } else {
          const id = yield* TraceReference.resolveId(reference)
          items.push({ label: id, load: loadStored(id), stored: true, recorded: Option.none() })
        }
      }
      for (const file of options.files) {
        items.push({ label: file, load: TraceReference.readFile(file), stored: false, recorded: Option.none() })
      }
    }

    const pushOptions = TracePush.pushOptions()
    let pushed = 0
    let failed = 0
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!
      const trace = yield* item.load
      const endpoint = endpointOf(item.recorded)
      const outcome = yield* TracePush.push(trace, endpoint, { ledger: item.stored ? book : undefined, push: pushOptions })
      if (Either.isRight(outcome)) {
        pushed++
        const { endpoint: target, requests, resumedAfter, spans } = outcome.right
        const what = `${plural(spans, "span")}, ${plural(requests, "request")}${
          resumedAfter > 0 ? `, after ${plural(resumedAfter, "request")} an earlier push delivered` : ""
        }`
        yield* options.pending
          ? Console.error(`[${i + 1}/${items.length}] pushed ${trace.traceId} (${trace.workflowName}) to ${target}: ${what}`)
          : Console.log(`Pushed ${trace.traceId} to ${target} (${what})`)
        continue
      }
      failed++
      const error = outcome.left
      const rest = items.length - i - 1
      if (TracePush.stopsEveryPush(error) && rest > 0) {
        // The next traces would get the same answer: they stay as they are.
        yield* Console.error(
          `victor: ${failureLine(error, trace.traceId, item.stored)} (${plural(rest, "more trace")} not tried)`
        )
        break
      }
      yield* Console.error(`victor: ${failureLine(error, trace.traceId, item.stored)}`)
    }
    if (options.pending) {
      const left = items.length - pushed
      yield* Console.log(
        left === 0
          ? `Pushed ${plural(pushed, "pending trace")}`
          : `Pushed ${pushed} of ${plural(items.length, "pending trace")}; ${left} still pending`
      )
    }
    if (failed > 0) return yield* new PushFailed({ traces: failed })
  }).pipe(
    Effect.provide(Layer.mergeAll(
      NodeTraceStore.layerForCommand(location),
      StderrWarnings.layer,
      // One client (and its connections) for every trace of the command.
      TracePush.httpLayer
    ))
  )
