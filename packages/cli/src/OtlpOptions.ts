/**
 * The options that send a run's trace to an OpenTelemetry collector: `--otlp [URL]`, `--otlp-header K=V` and
 * `--otlp-timeout MS` on `workflow trace` and `workflow run`. Only their definitions live here (`--help` loads
 * nothing more); the push itself is `store/TracePush.ts`.
 *
 * `--otlp` takes its URL only when one follows it (a word with `://`, or `--otlp=URL`): alone it means "the
 * collector the environment names" (`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, `OTEL_EXPORTER_OTLP_ENDPOINT`, else
 * `http://localhost:4318`). @effect/cli has no option whose value may be left out, so `expandBare` rewrites a bare
 * `--otlp` before parsing into one whose value is `FROM_ENVIRONMENT`, a string no command line can hold (a NUL).
 */
import * as Options from "@effect/cli/Options"
import * as Option from "effect/Option"

/** The value of a bare `--otlp`: the endpoint comes from the environment (or `victor.config.json`). */
export const FROM_ENVIRONMENT = "\u0000environment"

const names = new Set(["trace", "run"])

/**
 * The words of a command line with a bare `--otlp` of `workflow trace` / `workflow run` given its placeholder
 * value; `--otlp URL` and `--otlp=URL` are left as they are.
 */
export const expandBare = (args: ReadonlyArray<string>): ReadonlyArray<string> => {
  if (args[0] !== "workflow" || !names.has(args[1] ?? "")) return args
  const end = args.indexOf("--")
  return args.map((word, i) => {
    if (word !== "--otlp" || (end !== -1 && i > end)) return word
    const next = args[i + 1]
    return next !== undefined && next.includes("://") ? word : `--otlp=${FROM_ENVIRONMENT}`
  })
}

/** `--otlp [URL]`. */
export const otlp = Options.text("otlp").pipe(
  // Shown as `--otlp [URL]`: the value may be left out (see `expandBare`).
  Options.withPseudoName("[URL]"),
  Options.optional,
  Options.withDescription(
    "After the trace is stored, push it to an OpenTelemetry collector over OTLP/HTTP. The URL is optional: alone, " +
      "--otlp uses $OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (as is), else $OTEL_EXPORTER_OTLP_ENDPOINT (+ /v1/traces), " +
      "else otlp.endpoint of victor.config.json, else http://localhost:4318/v1/traces; a URL with no path gets " +
      "/v1/traces. Headers come from $OTEL_EXPORTER_OTLP_HEADERS and --otlp-header, the encoding from " +
      "$OTEL_EXPORTER_OTLP_PROTOCOL (http/protobuf, the default, or http/json), the service name from " +
      "$OTEL_SERVICE_NAME. Those variables alone push nothing: only --otlp (or otlp.endpoint in victor.config.json) " +
      "does. The collector never fails nor holds up the run: retries stop at --otlp-timeout, and a trace it did not " +
      "take stays marked pending, with one line on stderr, for `victor trace push --pending`; the exit code is the " +
      "run's. Examples: --otlp ; --otlp http://collector:4318"
  )
)

/** `--otlp-header K=V`, repeated. */
export const otlpHeader = Options.text("otlp-header").pipe(
  Options.withPseudoName("K=V"),
  Options.repeated,
  Options.withDescription(
    "A header of the OTLP push, KEY=VALUE, after those of $OTEL_EXPORTER_OTLP_HEADERS (the same name: this one " +
      "wins); repeat it for more. Header values are credentials: never printed, never stored (the store records " +
      "only the endpoint). Example: --otlp-header \"authorization=Bearer $TOKEN\""
  )
)

/** `--otlp-timeout MS`. */
export const otlpTimeout = Options.integer("otlp-timeout").pipe(
  Options.optional,
  Options.withDescription(
    "How long the OTLP push may take in all, retries included, in milliseconds (default: " +
      "$OTEL_EXPORTER_OTLP_TIMEOUT, else 10000); past it the trace stays pending. Example: --otlp-timeout 3000"
  )
)

/** The three options, for a command's config. */
export const options = { otlp, otlpHeader, otlpTimeout }

/** What the flags ask for: a push or not, to `endpoint` (`undefined`: the environment's or the config's). */
export interface Request {
  readonly enabled: boolean
  readonly endpoint: string | undefined
  readonly headers: ReadonlyArray<string>
  readonly timeoutMillis: number | undefined
}

/** The request of the parsed flags. */
export const request = (flags: {
  readonly otlp: Option.Option<string>
  readonly otlpHeader: ReadonlyArray<string>
  readonly otlpTimeout: Option.Option<number>
}): Request => {
  const url = Option.getOrUndefined(flags.otlp)
  return {
    enabled: url !== undefined,
    endpoint: url === undefined || url === FROM_ENVIRONMENT ? undefined : url,
    headers: flags.otlpHeader,
    timeoutMillis: Option.getOrUndefined(flags.otlpTimeout)
  }
}
