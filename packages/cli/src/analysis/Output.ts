/**
 * How the analysis commands print: JSON for `--json`, text otherwise; and the store they read from (the CLI's Node
 * file store).
 */
import type * as TraceStore from "@victor/core/TraceStore"
import * as Console from "effect/Console"
import type * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import * as Settings from "../Settings.ts"
import * as NodeTraceStore from "../store/NodeTraceStore.ts"

/** Prints a JSON value, indented, on stdout. */
export const printJson = (value: unknown): Effect.Effect<void> => Console.log(JSON.stringify(value, null, 2))

/** The trace store of `--trace-dir` (or its defaults). */
export const storeLayer = (traceDir: string | undefined): Layer.Layer<TraceStore.TraceStore> =>
  NodeTraceStore.layer({ directory: Settings.traceDirectory(traceDir) })
