/**
 * The push ledger: which stored traces went to an OTLP collector and which still wait, so that nothing is lost when
 * the collector is down (a run marks its trace pending before it pushes, pushed once the collector took it; `victor
 * trace push --pending` sends what is left). It lives in the store, `otlp/` beside `blobs/`, one small JSON file per
 * trace whose name carries its state — `<trace id>.pending.json` or `<trace id>.pushed.json` — so that `trace list`
 * learns the state of every trace from one directory read, and reads no file unless both names exist (a write cut
 * short between its two steps; the newer entry wins).
 *
 * An entry holds where the trace went and how far it got, never how: the endpoint as `OtlpEndpoint.describe` prints
 * it (no userinfo, query values masked) and no header, since headers carry credentials. Entries are written as the
 * store writes its files: to a temp file created 0600 without following a link (`NoFollowFileSystem`), then renamed
 * into place (a reader never sees half an entry; a link in the way is replaced, never followed), in a directory made
 * 0700; a link or a file in place of the directory is removed (it is inside the store) before a write, and never
 * read through.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import * as TraceId from "@victor/core/TraceId"
import * as NoFollowFileSystem from "@victor/store-fs/NoFollowFileSystem"
import * as Clock from "effect/Clock"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { isProcessAlive } from "./NodeTraceStore.ts"

/** The ledger's directory, inside the store. */
export const DIRECTORY_NAME = "otlp"

/** Where a trace stands: sent and taken (`pushed`), or still to send (`pending`). */
export const State = Schema.Literal("pending", "pushed")

/** Where a trace stands. */
export type State = typeof State.Type

/** One trace's entry; on disk with the snake_case keys of the store's other files. */
export const Entry = Schema.Struct({
  traceId: Schema.propertySignature(Schema.String).pipe(Schema.fromKey("trace_id")),
  state: State,
  /** The traces URL as `OtlpEndpoint.describe` prints it: no credentials. */
  endpoint: Schema.String,
  protocol: Schema.Literal("http/protobuf", "http/json"),
  /** Requests the collector took, in order: a resumed push starts after them (`startAtRequest`). */
  deliveredRequests: Schema.propertySignature(Schema.NonNegativeInt).pipe(Schema.fromKey("delivered_requests")),
  /** How many pushes of the trace were started (each retries its requests as OTLP asks). */
  attempts: Schema.NonNegativeInt,
  /** Why the last push stopped (`HTTP 503 Service Unavailable`, `connection refused`), or null. */
  lastError: Schema.propertySignature(Schema.NullOr(Schema.String)).pipe(Schema.fromKey("last_error")),
  /** When the entry was written, ISO 8601 UTC. */
  updatedAt: Schema.propertySignature(Schema.String).pipe(Schema.fromKey("updated_at"))
})

/** One trace's entry. */
export type Entry = typeof Entry.Type

/** What an entry says, before `write` stamps it. */
export type EntryInput = Omit<Entry, "updatedAt">

/** The ledger could not be read or written; the message names the file. */
export class PushLedgerError extends Data.TaggedError("PushLedgerError")<{
  readonly reason: "Unavailable" | "Corrupt" | "Insecure"
  readonly path: string
  readonly message: string
}> {}

/** The ledger of one store. */
export interface PushLedger {
  /** The ledger's directory. */
  readonly directory: string
  /**
   * The state of every trace the ledger knows, from the names in its directory (one read); empty when there is no
   * ledger yet, or when its directory is not a real directory (a link is never listed).
   */
  readonly states: Effect.Effect<ReadonlyMap<string, State>, PushLedgerError>
  /** A trace's entry; none when the ledger has none. */
  readonly read: (traceId: string) => Effect.Effect<Option.Option<Entry>, PushLedgerError>
  /** Writes a trace's entry (stamped `updated_at`, now) and removes its entry of the other state. */
  readonly write: (entry: EntryInput) => Effect.Effect<Entry, PushLedgerError>
  /** Removes a trace's entry, if any (its trace was removed). */
  readonly forget: (traceId: string) => Effect.Effect<void, PushLedgerError>
}

const namePattern = /^([A-Za-z0-9_-]{1,128})\.(pending|pushed)\.json$/
// A temp file of `write`: `.<entry name>.<pid>.<random>.tmp`.
const tempPattern = /^\.[A-Za-z0-9_-]{1,128}\.(?:pending|pushed)\.json\.(\d+)\.[a-z0-9]*\.tmp$/

const fileName = (traceId: string, state: State) => `${traceId}.${state}.json`

const decode = Schema.decodeUnknown(Schema.parseJson(Entry))
const encode = Schema.encodeSync(Entry)

const isNotFound = (error: { readonly _tag: string; readonly reason?: string }) =>
  error._tag === "SystemError" && error.reason === "NotFound"

/** The ledger of the store in `storeDirectory`. */
export const make = (
  storeDirectory: string
): Effect.Effect<PushLedger, never, FileSystem.FileSystem | Path.Path | NoFollowFileSystem.NoFollowFileSystem> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const nofollow = yield* NoFollowFileSystem.NoFollowFileSystem
    const directory = path.join(storeDirectory, DIRECTORY_NAME)
    const fileOf = (traceId: string, state: State) => path.join(directory, fileName(traceId, state))

    const unavailable = (what: string, file: string) => (error: { readonly message: string }) =>
      new PushLedgerError({ reason: "Unavailable", path: file, message: `cannot ${what} ${file}: ${error.message}` })

    const checkId = (traceId: string) =>
      TraceId.isTraceId(traceId)
        ? Effect.succeed(traceId)
        : Effect.fail(
          new PushLedgerError({ reason: "Corrupt", path: directory, message: `invalid trace id ${JSON.stringify(traceId)}` })
        )

    /** What is at the ledger's directory: nothing, a real directory, or something not to trust (a link, a file). */
    const directoryState = nofollow.lstat(directory).pipe(
      Effect.map((info) => (info.type === "Directory" ? "ok" as const : "untrusted" as const)),
      Effect.catchAll((error) => Effect.succeed(isNotFound(error) ? "missing" as const : "untrusted" as const))
    )

    /** The directory, ready for an entry: a real directory of mode 0700 (what was in its place removed). */
    const ensureDirectory = Effect.gen(function*() {
      const state = yield* directoryState
      if (state === "ok") return
      // Inside the store: a link or a file here is not the ledger (a link is removed, what it points at stays).
      if (state === "untrusted") yield* fs.remove(directory)
      yield* fs.makeDirectory(directory, { mode: 0o700 }).pipe(
        Effect.catchIf((e) => e._tag === "SystemError" && e.reason === "AlreadyExists", () => Effect.void)
      )
      const made = yield* nofollow.lstat(directory)
      if (made.type !== "Directory") {
        return yield* new PushLedgerError({
          reason: "Insecure",
          path: directory,
          message: `push ledger ${directory} is not a directory`
        })
      }
      if ((made.mode & 0o777) !== 0o700) yield* nofollow.chmod(directory, 0o700)
    }).pipe(
      Effect.mapError((error) =>
        error._tag === "PushLedgerError" ? error : unavailable("create the push ledger", directory)(error)
      )
    )

    const names: Effect.Effect<ReadonlyArray<string>, PushLedgerError> = Effect.flatMap(
      directoryState,
      (state) =>
        state === "missing"
          ? Effect.succeed([])
          : state === "untrusted"
          ? Effect.as(Effect.logWarning(`skipping ${directory}: it is not a real directory (a link?)`), [])
          : fs.readDirectory(directory).pipe(
            Effect.catchIf(isNotFound, () => Effect.succeed([])),
            Effect.mapError(unavailable("read the push ledger", directory))
          )
    )

    /** The entry in one file; none when the file is gone. */
    const readFile = (file: string): Effect.Effect<Option.Option<Entry>, PushLedgerError> =>
      nofollow.readFileString(file).pipe(
        Effect.map(Option.some),
        Effect.catchIf(isNotFound, () => Effect.succeed(Option.none<string>())),
        Effect.catchAll((error) =>
          Effect.flatMap(nofollow.lstat(file).pipe(Effect.option), (info) =>
            Effect.fail(
              Option.isSome(info) && info.value.type !== "File"
                ? new PushLedgerError({
                  reason: "Insecure",
                  path: file,
                  message: `push ledger entry ${file} is ${
                    info.value.type === "SymbolicLink" ? "a symbolic link, which is not followed" : "not a regular file"
                  }`
                })
                : unavailable("read push ledger entry", file)(error)
            ))
        ),
        Effect.flatMap(Option.match({
          onNone: () => Effect.succeed(Option.none()),
          onSome: (text) =>
            decode(text).pipe(
              Effect.map(Option.some),
              Effect.mapError((error) =>
                new PushLedgerError({
                  reason: "Corrupt",
                  path: file,
                  message: `push ledger entry ${file} does not decode: ${
                    ParseResult.ArrayFormatter.formatErrorSync(error).map((issue) =>
                      `${issue.path.join(".") || "the top level"}: ${issue.message}`
                    )[0] ?? "not an entry"
                  }`
                })
              )
            )
        }))
      )

    /** Of two entries of one trace (a write cut short), the newer. */
    const newer = (traceId: string) =>
      Effect.gen(function*() {
        const pending = yield* readFile(fileOf(traceId, "pending"))
        const pushed = yield* readFile(fileOf(traceId, "pushed"))
        if (Option.isNone(pending)) return pushed
        if (Option.isNone(pushed)) return pending
        return pushed.value.updatedAt >= pending.value.updatedAt ? pushed : pending
      })

    const states = Effect.gen(function*() {
      const found = new Map<string, Array<State>>()
      for (const name of yield* names) {
        const match = namePattern.exec(name)
        if (match === null) {
          // The temp file of a write whose process died between creating and renaming it (kill -9): never an entry.
          const temp = tempPattern.exec(name)
          if (temp !== null && Number(temp[1]) !== process.pid && !isProcessAlive(Number(temp[1]))) {
            yield* Effect.ignore(fs.remove(path.join(directory, name)))
          }
          continue
        }
        const seen = found.get(match[1]!)
        if (seen === undefined) found.set(match[1]!, [match[2] as State])
        else seen.push(match[2] as State)
      }
      const result = new Map<string, State>()
      for (const [traceId, seen] of found) {
        if (seen.length === 1) {
          result.set(traceId, seen[0]!)
          continue
        }
        const entry = yield* Effect.orElseSucceed(newer(traceId), () => Option.none<Entry>())
        result.set(traceId, Option.isSome(entry) ? entry.value.state : "pending")
      }
      return result as ReadonlyMap<string, State>
    })

    const read = (traceId: string) =>
      Effect.flatMap(checkId(traceId), (id) =>
        Effect.flatMap(directoryState, (state) =>
          state === "ok"
            ? newer(id)
            : state === "missing"
            ? Effect.succeed(Option.none<Entry>())
            : Effect.fail(
              new PushLedgerError({
                reason: "Insecure",
                path: directory,
                message: `push ledger ${directory} is not a real directory (a link?), which is not followed`
              })
            )))

    const removeFile = (file: string) =>
      fs.remove(file).pipe(
        Effect.catchIf(isNotFound, () => Effect.void),
        Effect.mapError(unavailable("remove push ledger entry", file))
      )

    const write = (input: EntryInput) =>
      Effect.gen(function*() {
        const id = yield* checkId(input.traceId)
        yield* ensureDirectory
        const entry: Entry = { ...input, traceId: id, updatedAt: new Date(yield* Clock.currentTimeMillis).toISOString() }
        const file = fileOf(id, entry.state)
        const temp = path.join(directory, `.${fileName(id, entry.state)}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`)
        const bytes = new TextEncoder().encode(JSON.stringify(encode(entry), null, 2) + "\n")
        yield* Effect.gen(function*() {
          yield* Effect.scoped(
            Effect.flatMap(nofollow.open(temp, { flag: "wx", mode: 0o600 }), (handle) => handle.writeAll(bytes))
          )
          // The rename replaces whatever has the name, a link too, never what a link points at.
          yield* fs.rename(temp, file)
        }).pipe(
          Effect.mapError(unavailable("write push ledger entry", file)),
          Effect.onError(() => Effect.ignore(fs.remove(temp)))
        )
        // Written first, removed second: cut short between the two, both names exist and the newer wins.
        yield* removeFile(fileOf(id, entry.state === "pending" ? "pushed" : "pending"))
        return entry
      })

    const forget = (traceId: string) =>
      Effect.flatMap(checkId(traceId), (id) =>
        Effect.flatMap(directoryState, (state) =>
          state !== "ok"
            ? Effect.void
            : Effect.zipRight(removeFile(fileOf(id, "pending")), removeFile(fileOf(id, "pushed")))))

    return { directory, states, read, write, forget }
  })
