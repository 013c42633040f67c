/**
 * `victor.config.json`: project settings read from the working directory (or the file named by `VICTOR_CONFIG`).
 * Every section is optional; a missing file means the defaults. A malformed file is a usage error naming the file
 * and the field. Sections are owned by the features that read them: `plugins` (plugins to load: exporters,
 * analyzers, and the node kinds, handlers, conditions, transforms and tools workflows may use),
 * `redact` (what never reaches disk), `capture` (how large payloads are stored), `tools` (where file tools may work),
 * `otlp` (the collector runs push their traces to), `store` (where traces are stored), `mcp_servers` (MCP servers
 * whose tools workflows may use), `prices` (token prices, for the cost the HTML report shows).
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import * as McpConfig from "@victor/mcp/McpConfig"
import * as nodePath from "node:path"
import { UsageError } from "./CliError.ts"

/** The file name looked for in the working directory. */
export const FILE_NAME = "victor.config.json"

/** A regular expression in a config file: checked when the config is read, so a typo is an error naming it. */
const RegExpSource = Schema.String.pipe(Schema.filter((source) => {
  try {
    new RegExp(source)
    return true
  } catch (error) {
    return `not a valid regular expression: ${error instanceof Error ? error.message : String(error)}`
  }
}))

/**
 * What is redacted before a trace reaches disk, besides the values of secret-looking environment variables (always,
 * unless `enabled` is false). The same shape is read from a workflow's `metadata.redact`.
 */
export const RedactRules = Schema.Struct({
  /** Field names whose values are redacted wherever they appear, e.g. `["authorization", "api_key"]`. */
  keys: Schema.optional(Schema.Array(Schema.String)),
  /** Dotted paths into inputs/outputs/metadata, `*` for any one key, e.g. `inputs.headers.authorization`. */
  paths: Schema.optional(Schema.Array(Schema.String)),
  /** Regular expressions; matching parts of string values are redacted, e.g. `"sk-[A-Za-z0-9]{20,}"`. */
  patterns: Schema.optional(Schema.Array(RegExpSource)),
  /** More environment variable names whose values are secrets, whatever they look like. */
  env: Schema.optional(Schema.Array(Schema.String)),
  /** Set to false to turn redaction off (it is on by default). */
  enabled: Schema.optional(Schema.Boolean)
})

/** How large inputs and outputs are kept (`--capture` on the command line wins over `mode`). */
export const CaptureSettings = Schema.Struct({
  /** `full` (default): large fields become blobs; `preview`: only a preview, size and hash; `none`: no content. */
  mode: Schema.optional(Schema.Literal("full", "preview", "none")),
  /** Payload fields larger than this many bytes are kept out of the trace (default 65536). */
  max_inline_bytes: Schema.optional(Schema.Int.pipe(Schema.positive()))
})

/** What the built-in tools may do. */
export const ToolSettings = Schema.Struct({
  /** Directories (relative to the config file) the file tools may use besides the working directory. */
  allowed_paths: Schema.optional(Schema.Array(Schema.String))
})

/** A model's token prices, per million input and per million output tokens. */
export const ModelPrice = Schema.Struct({
  input: Schema.Number.pipe(Schema.nonNegative()),
  output: Schema.Number.pipe(Schema.nonNegative())
})

/** Where runs push their traces (OTLP/HTTP); headers and credentials belong in the environment, not here. */
export const OtlpSettings = Schema.Struct({
  /**
   * Push every run's trace to this collector, as `--otlp URL` does (a URL without a path gets `/v1/traces`);
   * `$OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` or `$OTEL_EXPORTER_OTLP_ENDPOINT`, when set, names the collector instead.
   */
  endpoint: Schema.optional(Schema.String)
})

/** The shape of the file. Unknown top-level keys are errors, so that a typo is not silently ignored. */
export const VictorConfig = Schema.Struct({
  /**
   * Where traces are stored: a directory (relative to the config file) or a `postgres://` URL shared by many
   * machines; `--store`, `$VICTOR_STORE_URL` and `$VICTOR_TRACE_DIR` win over it. Keep a password out of the file:
   * `$PGPASSWORD` supplies it.
   */
  store: Schema.optional(Schema.String),
  /**
   * Third-party plugins: npm package names or paths (relative to the config file), loaded by dynamic import before
   * a workflow is read (`workflow trace`, `run`, `validate`): their exporters, analyzers, and what they add to
   * workflows (conditions, handlers, transforms, tools, node kinds).
   */
  plugins: Schema.optional(Schema.Array(Schema.String)),
  /** Redaction rules applied before anything is written (see `RedactRules`). */
  redact: Schema.optional(RedactRules),
  /** How inputs and outputs are captured (see `CaptureSettings`). */
  capture: Schema.optional(CaptureSettings),
  /** What the built-in tools may do (see `ToolSettings`). */
  tools: Schema.optional(ToolSettings),
  /** Where runs push their traces (see `OtlpSettings`). */
  otlp: Schema.optional(OtlpSettings),
  /**
   * MCP servers whose tools workflows may use, by name: `{ "fs": { "command": "npx", "args": [...] } }` (stdio; a
   * relative `cwd` is relative to the config file) or `{ "docs": { "url": "https://...", "headers": {...} } }`
   * (streamable HTTP). A workflow's own top-level `mcp_servers` adds to them (and wins for a name both give).
   */
  mcp_servers: Schema.optional(McpConfig.ServerConfigs),
  /**
   * Token prices by model name, per million tokens (`{ "gpt-4o": { "input": 2.5, "output": 10 } }`): with them the
   * HTML report shows the cost of each model call, model and run. A model matches its own name or else the longest
   * name it starts with.
   */
  prices: Schema.optional(Schema.Record({ key: Schema.String, value: ModelPrice }))
})

/** The decoded config, plus where it came from (`undefined` when there is no file). */
export interface LoadedConfig {
  readonly config: typeof VictorConfig.Type
  readonly file: string | undefined
  /** The directory plugin paths are relative to. */
  readonly directory: string
}

const decode = Schema.decodeUnknown(VictorConfig, { errors: "all", onExcessProperty: "error" })

/** Loads the config; no file means an empty config. */
export const load = (cwd: string = process.cwd()): Effect.Effect<LoadedConfig, UsageError, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const named = process.env["VICTOR_CONFIG"]
    const file = named !== undefined && named.length > 0 ? nodePath.resolve(cwd, named) : nodePath.join(cwd, FILE_NAME)
    const exists = yield* fs.exists(file).pipe(Effect.orElseSucceed(() => false))
    if (!exists) {
      if (named !== undefined && named.length > 0) {
        return yield* new UsageError({ description: `${named}: no such config file (named by VICTOR_CONFIG)` })
      }
      return { config: {}, file: undefined, directory: cwd }
    }
    const text = yield* fs.readFileString(file).pipe(
      Effect.mapError((error) => new UsageError({ description: `${file}: cannot read: ${error.message}` }))
    )
    const json = yield* Effect.try({
      try: () => JSON.parse(text) as unknown,
      catch: (error) =>
        new UsageError({
          description: `${file}: not valid JSON (${error instanceof Error ? error.message : String(error)})`
        })
    })
    const config = yield* decode(json).pipe(
      Effect.mapError((error) =>
        new UsageError({
          description: `${file}: ${ParseResult.ArrayFormatter.formatErrorSync(error).map((issue) =>
            `${issue.path.length === 0 ? "" : `${issue.path.join(".")}: `}${issue.message}`
          ).join("; ")}`
        })
      )
    )
    return { config, file, directory: nodePath.dirname(file) }
  })
