/**
 * Checks of `workflow trace` option values that need no I/O: the `--context` JSON and the export format. Both are
 * checked before anything runs, so bad input never leaves a half-finished trace behind.
 */
import type { Exporter } from "@victor/core/Exporter"
import type * as ExporterRegistry from "@victor/core/ExporterRegistry"
import type { JsonObject } from "@victor/core/Json"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { UsageError } from "./CliError.ts"

const contextExample = `--context '{"task": "fix bug"}'`

/** Parses `--context`: a JSON object that becomes the workflow's initial state. */
export const parseContext = (text: string | undefined): Effect.Effect<JsonObject, UsageError> => {
  if (text === undefined) return Effect.succeed({})
  return Effect.try({
    try: () => JSON.parse(text) as unknown,
    catch: (error) =>
      new UsageError({
        description: `invalid --context JSON: ${(error as Error).message}; pass a JSON object, e.g. ${contextExample}`
      })
  }).pipe(
    Effect.filterOrFail(
      (value): value is JsonObject => typeof value === "object" && value !== null && !Array.isArray(value),
      (value) =>
        new UsageError({
          description: `--context must be a JSON object, not ${
            Array.isArray(value) ? "an array" : value === null ? "null" : `a ${typeof value}`
          }; e.g. ${contextExample}`
        })
    )
  )
}

/**
 * The exporter for a run: `--format` when given, else the one whose extension matches `--output` (`.json`, `.csv`,
 * `.html`, or a plugin's, such as `.md`), else JSON. An unknown format, or an `--output` extension no exporter knows,
 * is an error listing the known formats rather than, say, JSON silently written to `trace.xml`.
 */
export const resolveExporter = (
  registry: ExporterRegistry.ExporterRegistry["Type"],
  format: string | undefined,
  output: string | undefined
): Effect.Effect<Exporter, UsageError> => {
  const known = registry.exporters.map((e) => e.name).join(", ")
  if (format !== undefined) {
    return Effect.mapError(registry.get(format), (error) => new UsageError({ description: `--format: ${error.message}` }))
  }
  const byExtension = output === undefined ? Option.none() : registry.forPath(output)
  if (Option.isSome(byExtension)) return Effect.succeed(byExtension.value)
  const extension = output === undefined ? "" : /\.([^./\\]+)$/.exec(output)?.[1] ?? ""
  if (extension !== "") {
    return Effect.fail(
      new UsageError({
        description: `cannot tell the export format of ${output} from ".${extension}"; known formats: ${known}; ` +
          `pass --format NAME`
      })
    )
  }
  return registry.get("json").pipe(
    Effect.mapError(() => new UsageError({ description: `no JSON exporter installed; known formats: ${known}` }))
  )
}

/** `--csv-rows` shapes the CSV export only; with another format it is a mistake worth saying so. */
export const checkCsvRows = (exporter: Exporter, csvRows: string | undefined): Effect.Effect<void, UsageError> =>
  csvRows === undefined || exporter.name === "csv"
    ? Effect.void
    : Effect.fail(
      new UsageError({
        description: `--csv-rows applies to the csv format, not ${exporter.name}; e.g. -o tools.csv --csv-rows tools`
      })
    )

/**
 * Takes the `hitl` key out of `--context`: answers for human-in-the-loop nodes by node id
 * (`{"hitl": {"gate": true}}`); the rest is the initial state.
 */
export const splitHitlAnswers = (
  context: JsonObject
): Effect.Effect<{ readonly answers: JsonObject; readonly state: JsonObject }, UsageError> => {
  const { hitl, ...state } = context
  if (hitl === undefined) return Effect.succeed({ answers: {}, state })
  if (typeof hitl !== "object" || hitl === null || Array.isArray(hitl)) {
    return Effect.fail(
      new UsageError({
        description: `--context: "hitl" must map hitl node ids to answers, e.g. --context '{"hitl": {"gate": true}}'`
      })
    )
  }
  return Effect.succeed({ answers: hitl as JsonObject, state })
}
