/**
 * How a `workflow trace` / `workflow run` persists its trace: the store layer (with the capture mode of `--capture`
 * or `victor.config.json`, which the `-o` export gets too: `captured`) and the redaction rules
 * (`Redaction.defaults`: secret-looking environment variables, fields named like secrets, passwords in URLs; plus the
 * config's `redact` and the workflow's `metadata.redact`). Redaction is on unless the config says
 * `"redact": {"enabled": false}`.
 */
import * as Payload from "@victor/core/Payload"
import * as Redaction from "@victor/core/Redaction"
import type * as StoreServices from "@victor/core/StoreServices"
import type * as TraceStore from "@victor/core/TraceStore"
import type * as WorkflowTrace from "@victor/core/WorkflowTrace"
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { UsageError } from "../CliError.ts"
import * as VictorConfig from "../VictorConfig.ts"
import * as NodeTraceStore from "./NodeTraceStore.ts"
import type * as StoreLocation from "./StoreLocation.ts"

/** The capture options: the flag wins over the config. */
export const captureOptions = (
  flag: Payload.CaptureMode | undefined,
  config: typeof VictorConfig.VictorConfig.Type
): Payload.CaptureOptions => {
  const mode = flag ?? config.capture?.mode
  const max = config.capture?.max_inline_bytes
  return { ...(mode === undefined ? {} : { mode }), ...(max === undefined ? {} : { maxInlineBytes: max }) }
}

const decodeRules = Schema.decodeUnknown(VictorConfig.RedactRules, { errors: "all", onExcessProperty: "error" })

/** The redaction rules of a run; `undefined` when the config turns redaction off. */
export const redactionRules = (
  config: typeof VictorConfig.VictorConfig.Type,
  workflowMetadata: { readonly [key: string]: unknown },
  env: Readonly<Record<string, string | undefined>> = process.env
): Effect.Effect<Redaction.Rules | undefined, UsageError> =>
  Effect.gen(function*() {
    const fromConfig = config.redact ?? {}
    if (fromConfig.enabled === false) return undefined
    const fromWorkflow = workflowMetadata["redact"] === undefined
      ? {}
      : yield* decodeRules(workflowMetadata["redact"]).pipe(
        Effect.mapError((error) =>
          new UsageError({
            description: `workflow metadata.redact: ${ParseResult.ArrayFormatter.formatErrorSync(error).map((i) =>
              `${i.path.join(".")}: ${i.message}`
            ).join("; ")}`
          })
        )
      )
    const named = [...(fromConfig.env ?? []), ...(fromWorkflow.env ?? [])]
    return Redaction.merge(Redaction.defaults(env), {
      values: named.flatMap((name) => {
        const value = env[name]
        return value === undefined || value.length === 0 ? [] : [value]
      }),
      keys: [...(fromConfig.keys ?? []), ...(fromWorkflow.keys ?? [])],
      paths: [...(fromConfig.paths ?? []), ...(fromWorkflow.paths ?? [])],
      patterns: [...(fromConfig.patterns ?? []), ...(fromWorkflow.patterns ?? [])]
    })
  })

/** The redaction layer of a run (no redactor when turned off). */
export const redactionLayer = (rules: Redaction.Rules | undefined): Layer.Layer<never> =>
  Redaction.layer(rules ?? {})

/**
 * The store of a run, ready when the layer is built, which is before the workflow runs: a directory the store
 * refuses (a link, another user's, not creatable) or a database it cannot reach fails it.
 */
export const storeLayer = (
  location: StoreLocation.StoreLocation,
  capture: Payload.CaptureOptions
): Layer.Layer<StoreServices.StoreServices, TraceStore.TraceStoreError> =>
  NodeTraceStore.layerAt(location, { capture, prepared: true })

/**
 * The trace as every other sink of the run gets it (an `-o` export): captured as the store keeps it, so that with
 * `preview` or `none` no more input or output content leaves the run than the store holds (`$omitted` with a preview,
 * or only size and hash). With `full`, the trace itself: large values inline, where the store keeps them as blobs.
 */
export const captured = (
  trace: WorkflowTrace.WorkflowTrace,
  capture: Payload.CaptureOptions
): Effect.Effect<WorkflowTrace.WorkflowTrace> =>
  (capture.mode ?? "full") === "full"
    ? Effect.succeed(trace)
    : Effect.map(Payload.make(capture).trace(trace), (result) => result.trace)
