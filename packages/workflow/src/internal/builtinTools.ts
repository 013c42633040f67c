/**
 * The built-in tools: `shell`, `read`, `write`, `grep` and `ls`. They capture the platform services when built, so a
 * tool's `run` needs nothing from context, and they take inputs decoded with Schema so a wrong input is a readable
 * `InvalidInput` error. Relative paths resolve against the process working directory; the file tools stay inside
 * their allowed directories (the working directory by default), links followed.
 *
 * The shell's stdout and stderr and `read`'s content are captured with `BlobSink.captureText`: a text past 8 MiB goes
 * to the store's blobs as it arrives (redacted first) and the output holds a blob reference in its place,
 * `{"$blob": "sha256:...", "bytes": N, "preview": "first 256 characters"}`, the shape the store gives any large field.
 * Without a sink in context (a store without blobs), the text is kept whole in memory, as it always was.
 */
import * as Command from "@effect/platform/Command"
import * as CommandExecutor from "@effect/platform/CommandExecutor"
import type { PlatformError } from "@effect/platform/Error"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as BlobSink from "@victor/core/BlobSink"
import type { JsonObject } from "@victor/core/Json"
import type { TraceStoreError } from "@victor/core/TraceStore"
import * as ShellTemplate from "../ShellTemplate.ts"
import type { Tool, ToolError } from "../ToolRegistry.ts"
import * as GrepSearch from "./grepSearch.ts"

type Reason = ToolError["reason"]
type MakeError = (tool: string, reason: Reason, description: string, evidence?: JsonObject) => ToolError

const Seconds = Schema.Number.pipe(Schema.positive({ message: () => "must be a positive number of seconds" }))

const ShellInputs = Schema.Struct({
  command: Schema.String,
  cwd: Schema.optional(Schema.String),
  timeout: Schema.optional(Seconds),
  /** Variables for the command (`"$NAME"` in it): the way to hand it a value with no quoting at all. */
  env: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.String }))
})
const ReadInputs = Schema.Struct({ path: Schema.String })
const WriteInputs = Schema.Struct({ path: Schema.String, content: Schema.String })
const GrepInputs = Schema.Struct({
  pattern: Schema.String,
  path: Schema.optionalWith(Schema.String, { default: () => "." }),
  glob: Schema.optional(Schema.String),
  ignore_case: Schema.optionalWith(Schema.Boolean, { default: () => false }),
  max_matches: Schema.optionalWith(Schema.Int.pipe(Schema.positive()), { default: () => 1000 })
})
const LsInputs = Schema.Struct({ path: Schema.optionalWith(Schema.String, { default: () => "." }) })

const firstLine = (text: string): string =>
  text.split("\n").map((line) => line.trim()).find((line) => line !== "") ?? ""

const globToRegExp = (glob: string): RegExp => {
  let source = ""
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!
    if (c === "*" && glob[i + 1] === "*") {
      source += ".*"
      i++
      if (glob[i + 1] === "/") i++
    } else if (c === "*") source += "[^/]*"
    else if (c === "?") source += "[^/]"
    else if (c === "{") source += "(?:"
    else if (c === "}") source += ")"
    else if (c === ",") source += "|"
    else source += c.replace(/[.+^$()|[\]\\]/g, "\\$&")
  }
  return new RegExp(`^${source}$`)
}

/** How long the processes of an interrupted command get to end after SIGTERM before they are killed. */
const terminationGrace = Duration.seconds(2)

/**
 * Ends an interrupted command's whole process tree. The executor starts each command as the leader of its own
 * process group (so a terminal's Ctrl-C reaches `victor` alone, and `victor` decides what ends); the group gets
 * SIGTERM, and once `sh` has exited or the grace period is over, SIGKILL for whatever is left of it: a background job
 * (`sleep 30 & wait`) or a process that ignores SIGTERM never outlives the run. The waits are interruptible so that a
 * process that never exits cannot hold up the finalizer this runs in; failures (the group is already gone) are
 * ignored.
 */
const endProcessGroup = (child: CommandExecutor.Process): Effect.Effect<void> =>
  Effect.interruptible(child.kill("SIGTERM")).pipe(
    Effect.timeout(terminationGrace),
    Effect.ignore,
    Effect.zipRight(Effect.interruptible(child.kill("SIGKILL")).pipe(Effect.timeout(terminationGrace), Effect.ignore))
  )

/** Builds the built-in tools over the platform services in context. */
export const makeBuiltinTools = (
  makeError: MakeError,
  env: Readonly<Record<string, string>> = {},
  currentEnvironment?: FiberRef.FiberRef<Readonly<Record<string, string>>>,
  allowedPaths: ReadonlyArray<string> = ["."]
): Effect.Effect<ReadonlyArray<Tool>, never, FileSystem.FileSystem | Path.Path | CommandExecutor.CommandExecutor> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const executor = yield* CommandExecutor.CommandExecutor

    // A path's real location: links followed as far as the path exists, the rest (a file `write` will create)
    // appended, so that a link cannot lead a tool outside its allowed directories.
    const realLocation = (absolute: string): Effect.Effect<string> =>
      fs.realPath(absolute).pipe(
        Effect.catchAll(() => {
          const parent = path.dirname(absolute)
          return parent === absolute
            ? Effect.succeed(absolute)
            : Effect.map(realLocation(parent), (real) => path.join(real, path.basename(absolute)))
        })
      )
    const roots = yield* Effect.forEach(allowedPaths, (root) => realLocation(path.resolve(root)))
    const isAllowed = (real: string) =>
      roots.some((root) => real === root || real.startsWith(root.endsWith(path.sep) ? root : root + path.sep))
    /** The absolute path of a file tool's `file` input, or `OutsideAllowedPaths`. */
    const confine = (tool: string, file: string): Effect.Effect<string, ToolError> => {
      const absolute = path.resolve(file)
      return Effect.flatMap(realLocation(absolute), (real) =>
        isAllowed(real) ? Effect.succeed(absolute) : Effect.fail(
          makeError(
            tool,
            "OutsideAllowedPaths",
            `${absolute} is outside the directories this run may use (${roots.join(", ")}); ` +
              "allow another with --allow-path DIR or tools.allowed_paths in victor.config.json"
          )
        ))
    }

    const decode = <A, I>(tool: string, schema: Schema.Schema<A, I>, inputs: JsonObject): Effect.Effect<A, ToolError> =>
      Either.match(Schema.decodeUnknownEither(schema)(inputs), {
        onRight: Effect.succeed,
        onLeft: (error) => {
          const issue = ParseResult.ArrayFormatter.formatErrorSync(error)[0]
          const field = issue === undefined || issue.path.length === 0 ? "inputs" : issue.path.join(".")
          return Effect.fail(makeError(tool, "InvalidInput", `invalid input ${field}: ${issue?.message ?? "invalid"}`))
        }
      })

    const fileError = (tool: string, action: string, file: string) => (error: PlatformError): ToolError =>
      error._tag === "SystemError" && error.reason === "NotFound"
        ? makeError(tool, "NotFound", `no such file or directory: ${file}`)
        : makeError(tool, "Failed", `cannot ${action} ${file}: ${error.message}`)

    const shell: Tool = {
      name: "shell",
      description: "Runs a command with `sh -c`; outputs stdout, stderr and exit_code. A non-zero exit code fails. " +
        "Values placed into `command` from state are quoted; `env` passes variables to it. An output past 8 MiB " +
        "is kept in the trace store and the output holds a reference to it ({$blob, bytes, preview}).",
      // The command is code its author wrote: values from state are quoted where they stand.
      codeInputs: { command: { render: ShellTemplate.render, check: ShellTemplate.check } },
      run: (inputs) =>
        Effect.gen(function*() {
          const { command, cwd, env: own, timeout } = yield* decode("shell", ShellInputs, inputs)
          // The process environment, the registry's `env`, the fiber's (the running node's trace context), then the
          // call's own.
          const fiberEnv = currentEnvironment === undefined ? {} : yield* FiberRef.get(currentEnvironment)
          let cmd = Command.make("sh", "-c", command)
          const extra = { ...env, ...fiberEnv, ...own }
          if (Object.keys(extra).length > 0) cmd = Command.env(cmd, extra)
          if (cwd !== undefined) {
            const directory = path.resolve(cwd)
            const info = yield* fs.stat(directory).pipe(Effect.mapError(fileError("shell", "use", directory)))
            if (info.type !== "Directory") {
              return yield* Effect.fail(makeError("shell", "InvalidInput", `cwd is not a directory: ${directory}`))
            }
            cmd = Command.workingDirectory(cmd, directory)
          }
          // Read as they come: a large output is streamed to the store's blobs (see the module's header).
          const text = (stream: Stream.Stream<Uint8Array, PlatformError>, field: string) =>
            BlobSink.captureText(stream, { field })
          // A process killed by a signal has no exit code: its signal is kept instead, with what it printed.
          // Interrupted (a cancelled run, a timeout), the command's whole process tree ends, not `sh` alone.
          const run = Effect.scoped(
            Effect.flatMap(executor.start(cmd), (child) =>
              Effect.all([text(child.stdout, "stdout"), text(child.stderr, "stderr"), Effect.either(child.exitCode)], {
                concurrency: "unbounded"
              }).pipe(Effect.onInterrupt(() => endProcessGroup(child))))
          ).pipe(Effect.mapError((error: PlatformError | TraceStoreError) =>
            makeError(
              "shell",
              "Failed",
              error._tag === "TraceStoreError"
                ? `cannot keep the command's output: ${error.message}`
                : `cannot run command: ${error.message}`
            )
          ))
          const [stdout, stderr, exit] = yield* timeout === undefined ? run : run.pipe(
            Effect.timeoutFail({
              duration: Duration.seconds(timeout),
              onTimeout: () => makeError("shell", "Timeout", `command timed out after ${timeout}s`)
            })
          )
          const detail = firstLine(BlobSink.textOf(stderr))
          const because = detail === "" ? "" : `: ${detail}`
          if (exit._tag === "Left") {
            const signal = /signal: (\w+)/.exec(exit.left.message)?.[1] ?? "unknown"
            return yield* Effect.fail(
              makeError("shell", "Failed", `command was killed by signal ${signal}${because}`, { stdout, stderr, signal })
            )
          }
          const exitCode = exit.right
          if (exitCode !== 0) {
            return yield* Effect.fail(
              makeError("shell", "Failed", `command exited with code ${exitCode}${because}`, {
                stdout,
                stderr,
                exit_code: exitCode
              })
            )
          }
          return { stdout, stderr, exit_code: exitCode }
        })
    }

    const read: Tool = {
      name: "read",
      description: "Reads a text file; outputs content and size (bytes). A content past 8 MiB is kept in the " +
        "trace store and the output holds a reference to it ({$blob, bytes, preview}).",
      run: (inputs) =>
        Effect.gen(function*() {
          const file = yield* confine("read", (yield* decode("read", ReadInputs, inputs)).path)
          let size = 0
          const content = yield* BlobSink.captureText(
            fs.stream(file).pipe(Stream.tap((chunk) => Effect.sync(() => void (size += chunk.byteLength)))),
            { field: "content" }
          ).pipe(Effect.mapError((error) =>
            error._tag === "TraceStoreError"
              ? makeError("read", "Failed", `cannot keep the content of ${file}: ${error.message}`)
              : fileError("read", "read", file)(error)
          ))
          return { content, size }
        })
    }

    const write: Tool = {
      name: "write",
      description: "Writes a text file (creating its directory); outputs path and bytes written.",
      run: (inputs) =>
        Effect.gen(function*() {
          const decoded = yield* decode("write", WriteInputs, inputs)
          const file = yield* confine("write", decoded.path)
          const bytes = new TextEncoder().encode(decoded.content)
          yield* fs.makeDirectory(path.dirname(file), { recursive: true }).pipe(
            Effect.zipRight(fs.writeFile(file, bytes)),
            Effect.mapError(fileError("write", "write", file))
          )
          return { path: file, bytes: bytes.byteLength }
        })
    }

    const grep: Tool = {
      name: "grep",
      description: "Searches files for a regular expression (recursively, skipping node_modules and .git); " +
        "outputs matches [{file, line, text}] and count.",
      run: (inputs) =>
        Effect.gen(function*() {
          const options = yield* decode("grep", GrepInputs, inputs)
          const regex = yield* Effect.try({
            try: () => new RegExp(options.pattern, options.ignore_case ? "i" : ""),
            catch: (error) =>
              makeError("grep", "InvalidInput", `invalid pattern ${JSON.stringify(options.pattern)}: ${String(error)}`)
          })
          const glob = options.glob === undefined ? undefined : globToRegExp(options.glob)
          const root = yield* confine("grep", options.path)
          const info = yield* fs.stat(root).pipe(Effect.mapError(fileError("grep", "search", root)))
          if (info.type !== "Directory") {
            const found = yield* GrepSearch.searchFile(fs, root, options.path, regex, options.max_matches)
            const truncated = found.length > options.max_matches
            const matches = truncated ? found.slice(0, options.max_matches) : found
            return { matches, count: matches.length, truncated }
          }
          return yield* GrepSearch.searchDirectory({ fs, path, isAllowed }, {
            directory: root,
            shown: options.path,
            regex,
            glob,
            globHasSlash: options.glob?.includes("/") ?? false,
            maxMatches: options.max_matches
          })
        })
    }

    const ls: Tool = {
      name: "ls",
      description: "Lists a directory; outputs entries [{name, type}] (file, directory, symlink, other) and count.",
      run: (inputs) =>
        Effect.gen(function*() {
          const directory = yield* confine("ls", (yield* decode("ls", LsInputs, inputs)).path)
          const names = yield* fs.readDirectory(directory).pipe(Effect.mapError(fileError("ls", "list", directory)))
          const entries = yield* Effect.forEach(names.sort(), (name) =>
            fs.stat(path.join(directory, name)).pipe(
              Effect.map((info) => info.type === "File" ? "file" : info.type === "Directory" ? "directory" : "other"),
              // A link whose target is missing cannot be followed: report the link itself.
              Effect.orElseSucceed(() => "symlink"),
              Effect.map((type) => ({ name, type }))
            ))
          return { entries, count: entries.length }
        })
    }

    return [shell, read, write, grep, ls]
  })
