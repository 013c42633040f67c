/**
 * `victor trace sync --to STORE`: copies traces from one store to another (a directory to a PostgreSQL database and
 * back), so that a CI runner can record locally and publish when the network allows. Idempotent: a trace the target
 * already holds as finished as the source's (same status, end time and node count) is not copied again; a trace
 * still running in the source is left for a later sync. Large payloads go with their trace: the source's blobs are
 * read back into it and the target keeps them as its own blobs.
 */
import type * as FileSystem from "@effect/platform/FileSystem"
import type * as Path from "@effect/platform/Path"
import * as TraceBlobs from "@victor/core/TraceBlobs"
import * as TraceStore from "@victor/core/TraceStore"
import type * as WorkflowTrace from "@victor/core/WorkflowTrace"
import * as Clock from "effect/Clock"
import * as Console from "effect/Console"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { UsageError } from "../CliError.ts"
import * as TraceReference from "../TraceReference.ts"
import * as NodeTraceStore from "./NodeTraceStore.ts"
import * as StderrWarnings from "./StderrWarnings.ts"
import * as StoreLocation from "./StoreLocation.ts"
import * as Units from "./Units.ts"

/** What `trace sync` was asked. */
export interface SyncOptions {
  /** Trace ids, unique prefixes or `last` in the source; none means every trace the filters select. */
  readonly references: ReadonlyArray<string>
  /** The target store (a directory or a postgres:// URL). */
  readonly to: string
  /** The source store; the configured store when absent (`--store`'s defaults). */
  readonly from: string | undefined
  readonly workflow: string | undefined
  readonly since: string | undefined
  readonly dryRun: boolean
}

const storeError = (error: TraceStore.TraceStoreError) => new UsageError({ description: error.message })

/** A store as a value (its services, and the contract's), so that two can be open at once. */
const open = (location: StoreLocation.StoreLocation, prepared: boolean) =>
  Effect.map(
    Layer.build(NodeTraceStore.layerForCommand(location, { prepared })),
    (services) => ({ services, ...Context.get(services, TraceStore.TraceStore) })
  )

/** A target trace that needs no copy: finished as far as the source's. */
const sameAs = (source: WorkflowTrace.TraceSummary, target: WorkflowTrace.TraceSummary | undefined): boolean =>
  target !== undefined && target.status === source.status && target.endTime === source.endTime &&
  target.nodeCount === source.nodeCount

const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? "" : "s"}`

/** `trace sync`. */
export const run = (
  options: SyncOptions
): Effect.Effect<void, UsageError, FileSystem.FileSystem | Path.Path> =>
  Effect.scoped(Effect.gen(function*() {
    const sourceLocation = yield* StoreLocation.resolve(options.from)
    const targetLocation = StoreLocation.parse(options.to)
    const sourceName = StoreLocation.describe(sourceLocation)
    const targetName = StoreLocation.describe(targetLocation)
    if (sourceName === targetName) {
      return yield* new UsageError({
        description: `--to names the store traces are copied from (${sourceName}); name another, e.g. ` +
          "victor trace sync --to postgres://ci@db.internal/victor"
      })
    }
    const age = options.since === undefined ? undefined : yield* Units.parseAge("--since", options.since)
    const now = (yield* Clock.currentTimeMillis) / 1000
    const source = yield* open(sourceLocation, false)
    const query: TraceStore.TraceQuery = {
      ...(options.workflow === undefined ? {} : { workflowName: options.workflow }),
      ...(age === undefined ? {} : { since: now - age })
    }
    // The references are resolved in the source as every trace command resolves them.
    const named = yield* Effect.forEach(
      options.references,
      (reference) => TraceReference.resolveId(reference).pipe(Effect.provide(source.services))
    )
    const listed = yield* source.list(query).pipe(Effect.mapError(storeError))
    const chosen = named.length === 0 ? listed : listed.filter((summary) => named.includes(summary.traceId))
    const running = chosen.filter((summary) => summary.status === "running")
    const finished = chosen.filter((summary) => summary.status !== "running")

    const target = yield* open(targetLocation, !options.dryRun)
    const held = new Map((yield* target.list().pipe(Effect.mapError(storeError))).map((s) => [s.traceId, s]))
    const todo = finished.filter((summary) => !sameAs(summary, held.get(summary.traceId)))
    const already = finished.length - todo.length

    if (options.dryRun) {
      for (const summary of todo) yield* Console.log(`would copy ${summary.traceId} (${summary.workflowName})`)
    } else {
      for (let i = 0; i < todo.length; i++) {
        const summary = todo[i]!
        const stored = yield* source.get(summary.traceId).pipe(Effect.mapError(storeError))
        const whole = yield* TraceBlobs.resolve(stored).pipe(
          Effect.provide(source.services),
          Effect.mapError(storeError)
        )
        yield* target.save(whole).pipe(Effect.mapError(storeError))
        yield* Console.error(`[${i + 1}/${todo.length}] copied ${summary.traceId} (${summary.workflowName})`)
      }
    }
    const parts = [
      `${options.dryRun ? "Would copy" : "Copied"} ${plural(todo.length, "trace")} from ${sourceName} to ${targetName}`,
      ...(already === 0 ? [] : [`${already} already there`]),
      ...(running.length === 0 ? [] : [`${plural(running.length, "running trace")} left for a later sync`])
    ]
    yield* Console.log(parts.join("; "))
  })).pipe(Effect.provide(StderrWarnings.layer))
