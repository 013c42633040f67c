/**
 * How the analysis commands print: JSON for `--json`, text otherwise; and the store they read from (the CLI's Node
 * file store), with its warnings (a skipped or quarantined file) on stderr, so that stdout holds only the report.
 */
import type * as FileSystem from "@effect/platform/FileSystem"
import type * as StoreServices from "@victor/core/StoreServices"
import type * as TraceStore from "@victor/core/TraceStore"
import * as Console from "effect/Console"
import type * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type { UsageError } from "../CliError.ts"
import * as NodeTraceStore from "../store/NodeTraceStore.ts"
import * as StderrWarnings from "../store/StderrWarnings.ts"

/** Prints a JSON value, indented, on stdout. */
export const printJson = (value: unknown): Effect.Effect<void> => Console.log(JSON.stringify(value, null, 2))

/** The trace store of `--store` (or its defaults, see `StoreLocation`), its warnings on stderr. */
export const storeLayer = (
  traceDir: string | undefined
): Layer.Layer<StoreServices.StoreServices, UsageError, FileSystem.FileSystem> =>
  Layer.merge(NodeTraceStore.layerOfFlag(traceDir), StderrWarnings.layer)
