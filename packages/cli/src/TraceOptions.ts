/**
 * Checks of `workflow trace` option values: the `--context` JSON (inline, `@file` or `-` for stdin) and the export
 * format. Both are checked before anything runs, so bad input never leaves a half-finished trace behind.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import type { Exporter } from "@victor/core/Exporter"
import type * as ExporterRegistry from "@victor/core/ExporterRegistry"
import type { JsonObject } from "@victor/core/Json"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { UsageError } from "./CliError.ts"

const contextExample = `--context '{"task": "fix bug"}'`

/**
 * Parses `--context`: a JSON object that becomes the workflow's initial state. The value is the JSON itself,
 * `@path` (read from that file) or `-` (read from stdin), so that a context of any size can be passed. Invalid JSON
 * is reported with the line and column of the first error and where the text came from. Any depth parses (the
 * tracer keeps `Json.MAX_DEPTH` levels of it).
 */
export const parseContext = (
  text: string | undefined
): Effect.Effect<JsonObject, UsageError, FileSystem.FileSystem> => {
  if (text === undefined) return Effect.succeed({})
  if (text === "-") return Effect.flatMap(readStdin, (json) => decodeContext(json, "--context - (stdin)"))
  if (text.startsWith("@")) {
    const file = text.slice(1)
    if (file === "") {
      return Effect.fail(new UsageError({ description: "--context @: name the file, e.g. --context @context.json" }))
    }
    return Effect.flatMap(
      Effect.flatMap(FileSystem.FileSystem, (fs) => fs.readFileString(file)).pipe(
        Effect.mapError((error) =>
          new UsageError({
            description: `--context @${file}: cannot read ${file}: ${
              error._tag === "SystemError" && error.reason === "NotFound" ? "no such file" : error.message
            }`
          })
        )
      ),
      (json) => decodeContext(json, file)
    )
  }
  return decodeContext(text, "--context")
}

// All of stdin, as UTF-8 text.
const readStdin: Effect.Effect<string, UsageError> = Effect.tryPromise({
  try: async () => {
    const chunks: Array<Uint8Array> = []
    for await (const chunk of process.stdin) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk)
    return Buffer.concat(chunks).toString("utf8")
  },
  catch: (error) =>
    new UsageError({
      description: `--context -: cannot read stdin: ${error instanceof Error ? error.message : String(error)}`
    })
})

// The context in `json`, read from `source` (`--context`, a file name or stdin).
const decodeContext = (json: string, source: string): Effect.Effect<JsonObject, UsageError> => {
  // A byte order mark is how some editors start a UTF-8 file; it is not part of the JSON.
  const text = json.charCodeAt(0) === 0xfeff ? json.slice(1) : json
  const inline = source === "--context"
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    const { line, column, problem } = locateSyntaxError(text)
    const where = inline ? "invalid --context JSON" : `invalid JSON in ${source}`
    return Effect.fail(
      new UsageError({
        description: `${where} at line ${line}, column ${column}: ${problem}` +
          (inline ? `; pass a JSON object, e.g. ${contextExample}` : "")
      })
    )
  }
  if (typeof value === "object" && value !== null && !Array.isArray(value)) return Effect.succeed(value as JsonObject)
  return Effect.fail(
    new UsageError({
      description: `--context must be a JSON object, not ${
        Array.isArray(value) ? "an array" : value === null ? "null" : `a ${typeof value}`
      }${inline ? "" : ` (in ${source})`}; e.g. ${contextExample}`
    })
  )
}

/**
 * Where the first JSON syntax error of a text is (1-based line and column) and what was expected there. `JSON.parse`
 * only sometimes gives a position, and then as an offset; this scanner walks the text once, without recursion (a
 * context may be nested 100,000 levels deep).
 */
export const locateSyntaxError = (
  text: string
): { readonly line: number; readonly column: number; readonly problem: string } => {
  const { index, problem } = scan(text)
  let line = 1
  let lineStart = 0
  for (let i = 0; i < index && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++
      lineStart = i + 1
    }
  }
  return { line, column: index - lineStart + 1, problem }
}

const numberPattern = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y

const describeAt = (text: string, index: number): string =>
  index >= text.length ? "the end of the input" : JSON.stringify(String.fromCodePoint(text.codePointAt(index)!))

// The offset of the first syntax error and what is wrong there; the end of the text when it is valid JSON.
const scan = (text: string): { readonly index: number; readonly problem: string } => {
  const containers: Array<"{" | "["> = []
  let i = 0
  const skipSpace = () => {
    while (i < text.length) {
      const c = text.charCodeAt(i)
      if (c === 32 || c === 9 || c === 10 || c === 13) i++
      else break
    }
  }
  const fail = (expected: string) => ({ index: i, problem: `expected ${expected}, found ${describeAt(text, i)}` })
  // Reads a string at `i` (its opening quote); returns a problem, or undefined once past its closing quote.
  const readString = (): { readonly index: number; readonly problem: string } | undefined => {
    i++
    while (i < text.length) {
      const c = text.charCodeAt(i)
      if (c === 34) {
        i++
        return undefined
      }
      if (c < 32) return { index: i, problem: "a control character inside a string (escape it, e.g. \\n)" }
      if (c === 92) {
        const e = text[i + 1]
        if (e === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
            return { index: i, problem: "an invalid \\u escape (it needs four hex digits)" }
          }
          i += 6
          continue
        }
        if (e === undefined || !"\"\\/bfnrt".includes(e)) return { index: i, problem: "an invalid escape in a string" }
        i += 2
        continue
      }
      i++
    }
    return { index: i, problem: "a string that is never closed" }
  }
  // What the scanner expects next: a value, what may follow one (the end, or a separator or closing bracket of the
  // container it is in), a property name, or the first property or item of a container (which may be empty).
  type State = "value" | "afterValue" | "key" | "firstKey" | "firstItem"
  let state: State = "value"
  while (true) {
    skipSpace()
    switch (state) {
      case "firstItem":
        if (text[i] === "]") {
          i++
          containers.pop()
          state = "afterValue"
          continue
        }
        state = "value"
        continue
      case "firstKey":
        if (text[i] === "}") {
          i++
          containers.pop()
          state = "afterValue"
          continue
        }
        state = "key"
        continue
      case "key": {
        if (text[i] !== "\"") return fail("a property name in double quotes")
        const problem = readString()
        if (problem !== undefined) return problem
        skipSpace()
        if (text[i] !== ":") return fail("':' after the property name")
        i++
        state = "value"
        continue
      }
      case "value": {
        const c = text[i]
        if (c === "{") {
          containers.push("{")
          i++
          state = "firstKey"
          continue
        }
        if (c === "[") {
          containers.push("[")
          i++
          state = "firstItem"
          continue
        }
        if (c === "\"") {
          const problem = readString()
          if (problem !== undefined) return problem
          state = "afterValue"
          continue
        }
        const literal = ["true", "false", "null"].find((word) => text.startsWith(word, i))
        if (literal !== undefined) {
          i += literal.length
          state = "afterValue"
          continue
        }
        numberPattern.lastIndex = i
        const number = numberPattern.exec(text)
        if (number !== null && number[0] !== "-") {
          i += number[0].length
          state = "afterValue"
          continue
        }
        return fail("a value (an object, array, string, number, true, false or null)")
      }
      case "afterValue": {
        const top = containers[containers.length - 1]
        if (top === undefined) {
          return i >= text.length ? { index: i, problem: "no error" } : fail("the end of the input")
        }
        const close = top === "{" ? "}" : "]"
        if (text[i] === ",") {
          i++
          state = top === "{" ? "key" : "value"
          continue
        }
        if (text[i] === close) {
          i++
          containers.pop()
          continue
        }
        return fail(`',' or '${close}'`)
      }
    }
  }
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
