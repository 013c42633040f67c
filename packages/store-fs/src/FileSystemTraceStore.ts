/**
 * A TraceStore on any @effect/platform `FileSystem` (Node, Bun, Deno), in a directory private to the user (0700,
 * files 0600):
 * - `{workflow}_{traceId}.jsonl`: the journal of a running trace, one JSON line per entry, appended and written
 *   through to the OS as things happen (it survives `kill -9`), its mtime touched by a heartbeat while the run lives;
 * - `{workflow}_{traceId}.json`: a finished trace in the guide's JSON format, streamed to a temp file and renamed, so
 *   a reader never sees half a trace; the journal is removed once it is there;
 * - `.index.jsonl`: summaries for fast listing, and `.facts.jsonl`: node facts for statistics (see
 *   `internal/traceIndex.ts`), caches rebuilt from the files; `get` reads the file the index names for an id, without
 *   listing the directory;
 * - `blobs/<sha256>`: large payloads, stored once (see `@victor/core/Payload`).
 *
 * Recovery (`internal/recovery.ts`): `list`, `listNodeFacts`, `prune` and `get` (of a trace the index does not name)
 * first turn journals whose run is gone into `incomplete` traces, and put in place a trace whose save was cut short
 * after its temp file was written. A run is gone when its owner (pid and host, in the journal's header or the temp
 * file's name) is a process of this host that no longer exists, or, when that cannot be known, when its heartbeat is
 * older than `staleAfterSeconds` (a temp file: untouched for `tempGraceSeconds`). A recovering process claims a
 * journal by renaming it, and writes the trace with a hard link that never replaces a file, so a run that finishes
 * after all keeps its real trace.
 *
 * Files are decoded, never trusted: `get` reports a corrupt file as `Corrupt`, naming the file and the field. What
 * can never be used — a `*.json` file that is not JSON or not a trace, an empty journal or one without a header, an
 * unfinished temp file whose writer is gone — is moved by the readers to `quarantine/` with a `{name}.reason` file
 * (`internal/quarantine.ts`), warned about once, and removed by `prune`, which also reports it (`straysOf`); `get` of
 * a quarantined trace fails with `Corrupt`, naming the quarantined file and the reason.
 *
 * Links are never trusted either: every file of the store is stat'ed, read, opened and chmod'ed through
 * `NoFollowFileSystem` (the runtime's when a layer provides it, else a portable check before each step), so nothing
 * is read or written through a symbolic link and nothing outside the directory is touched. A link where a reader
 * expects a trace file or a journal is skipped with a warning (`get` of it fails with `Insecure`); one in place of the
 * index, the facts file, the blob directory, a blob, or a trace or journal being written is replaced by a real file
 * (a rename or an unlink replaces the link itself, never what it points at).
 *
 * The directory itself must be a real directory, not a link: a link to it is refused with the path to use instead
 * (following it once and checking the target would still trust whoever could write where the link lives). With
 * `userId`, a directory of another user is refused, root included (its owner could swap what is in it under the
 * store), and one of ours open to others is made 0700 (with a warning when listing; writes log nothing, since a run's
 * stdout may be machine output). Parent directories are not checked: whoever can write to them can move the store's
 * directory anyway.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import * as Journal from "@victor/core/Journal"
import * as Payload from "@victor/core/Payload"
import * as TraceDecoder from "@victor/core/TraceDecoder"
import * as TraceJson from "@victor/core/TraceJson"
import * as TraceStore from "@victor/core/TraceStore"
import * as WorkflowTrace from "@victor/core/WorkflowTrace"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import { globalValue } from "effect/GlobalValue"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import * as Scope from "effect/Scope"
import * as Quarantine from "./internal/quarantine.ts"
import * as Recovery from "./internal/recovery.ts"
import * as Files from "./internal/storeFiles.ts"
import * as internal from "./internal/traceFiles.ts"
import * as TraceIndex from "./internal/traceIndex.ts"
import * as NoFollowFileSystem from "./NoFollowFileSystem.ts"

/** Where the store keeps its files and how it tells live runs from dead ones. */
export interface Options {
  /** The trace directory; created (with its parents, mode 0700) on the first write. */
  readonly directory: string
  /** This process, stamped into the journals it writes so that others can tell whether it still runs. */
  readonly owner?: Journal.JournalOwner
  /** Whether a process of this host runs (Node: `process.kill(pid, 0)`); without it, only heartbeats count. */
  readonly isProcessAlive?: (pid: number) => boolean
  /** How often a running trace's journal is touched; default 2 s. */
  readonly heartbeatSeconds?: number
  /** A journal not touched for this long, whose owner cannot be checked, belongs to a dead run; default 30 s. */
  readonly staleAfterSeconds?: number
  /** A temp file not touched for this long, whose writer cannot be checked, belongs to a dead run; default 600 s. */
  readonly tempGraceSeconds?: number
  /** How large payloads are kept (blobs); default `full` with a 64 KiB inline budget. */
  readonly capture?: Payload.CaptureOptions
  /** While a run is live, unreferenced blobs younger than this are kept by prune (it may be about to use them). */
  readonly blobGraceSeconds?: number
  /**
   * The user this process runs as (Node: `process.getuid()`): an existing directory of another user is refused, and
   * one of ours that others may use is made private (0700). Without it, owner and mode are left as they are.
   */
  readonly userId?: number
}

/** The journals this process is writing, by path (across store instances): never recovered from under it. */
const ownJournals = globalValue("@victor/store-fs/ownJournals", () => new Set<string>())

/** How many files are read or stat'ed at the same time. */
const concurrency = 32

const BLOB_DIR = "blobs"

type Stat = Files.Stat

const LINK_PROBLEM = Files.LINK_PROBLEM

/** A file that can never be used as a trace (not JSON, not a trace, misnamed), and why: it goes to quarantine. */
interface Unusable {
  readonly _tag: "Unusable"
  readonly name: string
  readonly reason: string
}

/**
 * A file system trace store over the `FileSystem` and `Path` services, and `NoFollowFileSystem` when a layer provides
 * it (else the portable one over `FileSystem`).
 */
export const make = (
  options: Options
): Effect.Effect<TraceStore.TraceStore["Type"], never, FileSystem.FileSystem | Path.Path> =>
  Effect.map(makeReleasable(options), ({ store }) => store)

// The store, and how to let go of the journals it still holds open (the heartbeat of each is a timer that would keep
// the process alive): `layer` runs it when the layer's scope closes.
const makeReleasable = (
  options: Options
): Effect.Effect<
  {
    readonly store: TraceStore.TraceStore["Type"]
    readonly release: Effect.Effect<void>
    readonly prepare: Effect.Effect<boolean, TraceStore.TraceStoreError>
  },
  never,
  FileSystem.FileSystem | Path.Path
> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    // The runtime's own when a layer provides it (atomic); else checks before each step.
    const nofollow = Option.getOrElse(
      yield* Effect.serviceOption(NoFollowFileSystem.NoFollowFileSystem),
      () => NoFollowFileSystem.make(fs)
    )
    const encoder = new TextEncoder()
    const directory = options.directory
    const indexFile = path.join(directory, TraceIndex.INDEX_NAME)
    const factsFile = path.join(directory, TraceIndex.FACTS_NAME)
    const blobDirectory = path.join(directory, BLOB_DIR)
    const heartbeat = Duration.seconds(options.heartbeatSeconds ?? 2)
    const staleAfterMs = (options.staleAfterSeconds ?? 30) * 1000
    const blobGraceMs = (options.blobGraceSeconds ?? 600) * 1000
    const capturer = Payload.make(options.capture)
    const files = Files.make(fs, path, nofollow, directory)
    const { fileStatOf, readText, statOf } = files
    const ignoreNotFound = Files.ignoreNotFound
    const quarantine = Quarantine.make(files)
    /** A temp file's name, stamped with this process (so that others can tell when its writer died). */
    const tempName = (name: string) => internal.tempFileName(name, options.owner)

    // -----------------------------------------------------------------------------------------------------------
    // The directory
    // -----------------------------------------------------------------------------------------------------------

    // Set once the directory was found to be a real directory of ours, private: not checked again by this store.
    let trusted = false

    /**
     * Checks the store's directory before it is used, creating it (0700) with `create`; whether it exists. A link is
     * refused, a directory of another user too (with `userId`); one of ours open to others is made 0700, with a
     * warning when reading (`list` and co.). Writes log nothing: a run's stdout may be machine output, and a program
     * that runs workflows does not always send the log elsewhere.
     */
    const trustDirectory = (create: boolean, what: string): Effect.Effect<boolean, TraceStore.TraceStoreError> =>
      Effect.suspend(() => trusted ? Effect.succeed(true) : Effect.gen(function*() {
        const found = yield* nofollow.lstat(directory).pipe(Effect.map(Option.some), ignoreNotFound(Option.none()))
        if (Option.isNone(found)) {
          if (!create) return false
          // mkdir's mode is filtered by the umask, which can only take bits away: never more open than 0700.
          yield* fs.makeDirectory(directory, { recursive: true, mode: 0o700 })
          const made = yield* nofollow.lstat(directory)
          if (made.type === "Directory" && (made.mode & 0o777) !== 0o700) yield* nofollow.chmod(directory, 0o700)
          trusted = made.type === "Directory"
          return true
        }
        const info = found.value
        if (info.type === "SymbolicLink") {
          const target = yield* Effect.orElseSucceed(fs.realPath(directory), () => undefined)
          return yield* new TraceStore.TraceStoreError({
            reason: "Insecure",
            path: directory,
            description: `trace directory ${directory} is a symbolic link${
              target === undefined ? "" : ` to ${target}`
            }, which the store does not follow: use the directory itself (--trace-dir ${target ?? "DIR"})`
          })
        }
        if (info.type !== "Directory") {
          return yield* new TraceStore.TraceStoreError({
            reason: "Unavailable",
            path: directory,
            description: `cannot ${what} ${directory}: it is not a directory`
          })
        }
        const me = options.userId
        if (me !== undefined) {
          const owner = Option.getOrUndefined(info.uid)
          if (owner !== undefined && owner !== me) {
            return yield* new TraceStore.TraceStoreError({
              reason: "Insecure",
              path: directory,
              description: `trace directory ${directory} belongs to another user (uid ${owner}), not to you (uid ${me}): ` +
                `take it over (chown ${me} '${directory}' && chmod 700 '${directory}') or use a directory of your own ` +
                `(--trace-dir DIR)`
            })
          }
          if ((info.mode & 0o077) !== 0) {
            yield* nofollow.chmod(directory, 0o700)
            if (!create) {
              const was = (info.mode & 0o777).toString(8).padStart(4, "0")
              yield* Effect.logWarning(`trace directory ${directory} was open to other users (mode ${was}); it is now private (0700)`)
            }
          }
        }
        trusted = true
        return true
      }).pipe(
        Effect.mapError((error) => (error._tag === "TraceStoreError" ? error : internal.unavailable(what, directory)(error)))
      ))

    const ensureDirectory = trustDirectory(true, "create trace directory")

    /** The directory's entries; a directory that does not exist yet is empty. */
    const readNames: Effect.Effect<ReadonlyArray<string>, TraceStore.TraceStoreError> = Effect.flatMap(
      trustDirectory(false, "list traces in"),
      (exists) =>
        exists
          ? fs.readDirectory(directory).pipe(
            ignoreNotFound<ReadonlyArray<string>>([]),
            Effect.mapError(internal.unavailable("list traces in", directory))
          )
          : Effect.succeed([])
    )

    /**
     * The blob directory, ready for a blob: a link or a file in its place is removed (it is inside the store; what a
     * link points at is left alone) and a real directory made. Silently, as every write (see `trustDirectory`).
     */
    const ensureBlobDirectory = files.ensureSubdirectory(blobDirectory, "create blob directory")

    /** Whether the blob directory is a real directory (to read or list blobs from); a link is refused. */
    const blobDirectoryState = files.subdirectoryState(blobDirectory)

    /** A file's parsed JSON, or none when it no longer exists. */
    const readJson = (file: string): Effect.Effect<Option.Option<unknown>, TraceStore.TraceStoreError> =>
      Effect.flatMap(readText(file), Option.match({
        onNone: () => Effect.succeed(Option.none()),
        onSome: (text) => Effect.map(internal.parseJson(file, text), Option.some)
      }))

    /** Decodes a trace file's JSON (hand-written checks; Schema only to say what is wrong). */
    const decode = (
      file: string,
      json: unknown
    ): Effect.Effect<WorkflowTrace.WorkflowTrace, TraceStore.TraceStoreError> =>
      Effect.mapError(TraceDecoder.decodeUnknown(json), (error) => internal.notATrace(file, error))

    // -----------------------------------------------------------------------------------------------------------
    // Blobs
    // -----------------------------------------------------------------------------------------------------------

    const writeBlob = (blob: Payload.Blob) =>
      Effect.gen(function*() {
        const file = path.join(blobDirectory, blob.sha256)
        yield* ensureBlobDirectory
        const now = yield* Clock.currentTimeMillis
        // Already there: the same content. Touched, so that a prune running now sees it as fresh. Anything else in
        // its place (a link) is replaced by the rename below.
        if (Option.isSome(yield* fileStatOf(file))) {
          const touched = yield* Effect.either(fs.utimes(file, new Date(now), new Date(now)))
          if (touched._tag === "Right") return
        }
        const temp = path.join(blobDirectory, tempName(blob.sha256))
        const cannotWrite = internal.unavailable("write blob", file)
        yield* Effect.gen(function*() {
          yield* Effect.scoped(
            Effect.flatMap(nofollow.open(temp, { flag: "wx", mode: 0o600 }), (handle) => handle.writeAll(blob.bytes))
          )
          yield* fs.rename(temp, file)
        }).pipe(Effect.mapError(cannotWrite), Effect.onError(() => Effect.ignore(fs.remove(temp))))
      })

    const writeBlobs = (blobs: ReadonlyArray<Payload.Blob>) =>
      Effect.forEach(blobs, writeBlob, { discard: true, concurrency: 4 })

    const readBlob = (sha256: string): Effect.Effect<string, TraceStore.TraceStoreError> =>
      Effect.gen(function*() {
        const hash = yield* TraceStore.validateBlobName(sha256)
        const file = path.join(blobDirectory, hash)
        // A link in place of the directory would lead the read elsewhere (no-follow guards the last component only).
        if ((yield* blobDirectoryState) === "untrusted") {
          return yield* internal.untrusted(blobDirectory, "is not a real directory (a link?), which the store does not follow", "blob directory")
        }
        const text = yield* readText(file, "read blob", "blob")
        if (Option.isNone(text)) {
          return yield* new TraceStore.TraceStoreError({
            reason: "NotFound",
            path: file,
            description: `blob ${file} is missing (removed by hand?); the trace keeps its preview`
          })
        }
        return text.value
      })

    // -----------------------------------------------------------------------------------------------------------
    // Index
    // -----------------------------------------------------------------------------------------------------------

    /**
     * Which files hold which trace, as the index (or a save) last said: `get` reads the file it names instead of
     * listing the directory. A hint, never trusted: a file that is gone or holds another trace sends `get` the slow way.
     */
    const filesById = new Map<string, string>()
    const rememberFile = (traceId: string, name: string) => void filesById.set(traceId, name)
    // The index's size and mtime when `filesById` was last filled from it.
    let indexStamp: { size: number; mtime: number } | undefined

    /** Fills `filesById` from the index file when it changed since (a `get` before any `list` in this process). */
    const learnFromIndex = Effect.gen(function*() {
      // A link is left alone here: the next `list` replaces it.
      const stat = yield* fileStatOf(indexFile)
      if (Option.isNone(stat)) return
      if (indexStamp !== undefined && indexStamp.size === stat.value.size && indexStamp.mtime === stat.value.mtime) return
      const index = yield* readIndex
      if (index === undefined) return
      indexStamp = stat.value
      for (const entry of index.entries.values()) {
        if (entry.summary !== undefined) rememberFile(entry.summary.traceId, entry.file)
      }
    })

    /** A cache file's text, or undefined when it is missing or cannot be read (then it is rebuilt and replaced). */
    const readCache = (file: string, what: string, kind: string): Effect.Effect<string | undefined> =>
      readText(file, what, kind).pipe(
        Effect.map(Option.getOrUndefined),
        Effect.catchAll((error) =>
          error.reason === "Insecure"
            ? Effect.as(Effect.logWarning(`replacing ${file}: it ${LINK_PROBLEM}`), undefined)
            : Effect.succeed(undefined)
        )
      )

    const readIndex: Effect.Effect<TraceIndex.Parsed | undefined> = Effect.map(
      readCache(indexFile, "read index", "index"),
      (text) => (text === undefined ? undefined : TraceIndex.parse(text))
    )

    /**
     * Appends lines to a cache file when it exists (`list` creates the index, `listNodeFacts` the facts file), or
     * also when it does not with `create`; a failure only makes it stale.
     */
    const appendTo = (file: string, lines: ReadonlyArray<string>, create = false) =>
      lines.length === 0 ? Effect.void : Effect.gen(function*() {
        // Anything but a regular file (a link) is not appended to: the next rewrite replaces it.
        const stat = yield* statOf(file)
        if (Option.isNone(stat) ? !create : stat.value.type !== "File") return
        const text = lines.map((l) => l + "\n").join("")
        yield* Effect.scoped(
          Effect.flatMap(nofollow.open(file, { flag: "a", mode: 0o600 }), (handle) => handle.writeAll(encoder.encode(text)))
        )
      }).pipe(Effect.ignore)

    const appendIndex = (lines: ReadonlyArray<string>) => appendTo(indexFile, lines)

    /** Appends the facts of entries that have them to the facts file, when there is one. */
    const appendFacts = (entries: ReadonlyArray<TraceIndex.Entry>, create = false) =>
      appendTo(factsFile, entries.flatMap((e) => TraceIndex.encodeFactsLine(e) ?? []), create)

    /** Replaces a cache file with these lines: written to a temp file and renamed, so a reader never sees half. */
    const rewrite = (file: string, lines: Iterable<string>) =>
      Effect.gen(function*() {
        const temp = path.join(directory, tempName(path.basename(file)))
        const text = Array.from(lines, (l) => l + "\n").join("")
        yield* Effect.scoped(
          Effect.flatMap(nofollow.open(temp, { flag: "wx", mode: 0o600 }), (handle) => handle.writeAll(encoder.encode(text)))
        )
        // The rename replaces whatever has the name, a link included, never what a link points at.
        yield* fs.rename(temp, file).pipe(Effect.onError(() => Effect.ignore(fs.remove(temp))))
      }).pipe(Effect.ignore)

    const rewriteIndex = (entries: ReadonlyArray<TraceIndex.Entry>) => rewrite(indexFile, entries.map(TraceIndex.encode))

    /** The facts file, parsed; undefined when it is missing or cannot be read (then it is written anew). */
    const readFacts: Effect.Effect<TraceIndex.ParsedFacts | undefined> = Effect.map(
      readCache(factsFile, "read node facts", "node facts file"),
      (text) => (text === undefined ? undefined : TraceIndex.parseFacts(text))
    )

    /** The size and mtime of each file (undefined for one that is gone), a few fibers each going through its share. */
    const statAll = (names: ReadonlyArray<string>) =>
      Effect.gen(function*() {
        const stats: Array<Stat | undefined> = new Array(names.length)
        // A fiber per file costs more than its stat, and so do a few operators per file (10,000 files): plain code
        // between the stats.
        yield* Effect.forEach(Array.from({ length: concurrency }, (_, lane) => lane), (lane) =>
          Effect.gen(function*() {
            for (let i = lane; i < names.length; i += concurrency) {
              // lstat: a link is seen as one (and skipped), never followed.
              const info = yield* Effect.either(nofollow.lstat(path.join(directory, names[i]!)))
              stats[i] = info._tag === "Left" ? undefined : {
                size: Number(info.right.size),
                mtime: info.right.mtime._tag === "Some" ? info.right.mtime.value.getTime() : 0,
                type: info.right.type
              }
            }
          }), { concurrency, discard: true })
        return stats
      })

    /** An index entry made by reading a file (for a file the index does not know, or knows an older version of). */
    const indexEntryOf = (name: string, stat: Stat): Effect.Effect<TraceIndex.Entry | Unusable | undefined> => {
      const file = path.join(directory, name)
      const base = { file: name, size: stat.size, mtime: stat.mtime }
      // Not read at all: a link (where it points is none of the store's business), a FIFO (a read would wait).
      if (stat.type !== "File") {
        return Effect.succeed({
          ...base,
          summary: undefined,
          skip: stat.type === "SymbolicLink" ? LINK_PROBLEM : `is not a regular file (${stat.type})`,
          blobs: [],
          facts: undefined
        })
      }
      return Effect.gen(function*() {
        const text = yield* readText(file)
        if (Option.isNone(text)) return undefined
        const json = yield* internal.parseJson(file, text.value)
        const trace = yield* decode(file, json)
        if (!name.endsWith(`_${trace.traceId}.json`)) {
          const reason = `holds trace ${trace.traceId} but is not named *_${trace.traceId}.json`
          return { _tag: "Unusable" as const, name, reason }
        }
        rememberFile(trace.traceId, name)
        return {
          ...base,
          summary: WorkflowTrace.summarize(trace),
          skip: undefined,
          blobs: Payload.referencedHashes(text.value),
          facts: TraceIndex.encodeFacts(trace.nodes.map(TraceStore.nodeFactsOf))
        }
      }).pipe(
        Effect.catchAll((error) => {
          const problem = error.description.startsWith(`trace file ${file} `)
            ? error.description.slice(`trace file ${file} `.length)
            : error.description
          // What it holds is broken for good; anything else (it could not be read just now) is tried again next time.
          if (error.reason === "Corrupt") return Effect.succeed<Unusable>({ _tag: "Unusable", name, reason: problem })
          return Effect.as(Effect.logWarning(`skipping ${file}: ${problem}`), undefined)
        })
      )
    }

    /**
     * The index entry of every trace file in a listing of the directory, from the index where it is up to date; keeps
     * the index up to date.
     */
    const indexedEntriesIn = (
      listing: ReadonlyArray<string>
    ): Effect.Effect<ReadonlyArray<TraceIndex.Entry>, TraceStore.TraceStoreError> =>
      Effect.gen(function*() {
        const names = listing.filter(internal.isTraceFileName)
        if (names.length === 0 && !(yield* fs.exists(directory).pipe(Effect.orElseSucceed(() => false)))) return []
        // The files are stat'ed while the index is read and parsed.
        const [index, stats] = yield* Effect.all([readIndex, statAll(names)], { concurrency: 2 })
        const known = index?.entries ?? new Map<string, TraceIndex.Entry>()
        const fresh: Array<TraceIndex.Entry> = []
        const present: Array<TraceIndex.Entry> = []
        const unknown: Array<{ readonly name: string; readonly stat: Stat }> = []
        names.forEach((name, i) => {
          const stat = stats[i]
          if (stat === undefined) return
          const entry = known.get(name)
          // A summary is trusted only for a regular file (a link of the same size and mtime is not the trace); a
          // regular file skipped by an older version is read again (to be quarantined if it is broken).
          if (
            entry !== undefined && entry.size === stat.size && entry.mtime === stat.mtime &&
            (stat.type === "File" ? entry.summary !== undefined : entry.summary === undefined)
          ) {
            if (entry.summary !== undefined) rememberFile(entry.summary.traceId, name)
            present.push(entry)
          } else unknown.push({ name, stat })
        })
        const unusable: Array<Unusable> = []
        yield* Effect.forEach(unknown, ({ name, stat }) =>
          Effect.map(indexEntryOf(name, stat), (read) => {
            if (read === undefined) return
            if ("_tag" in read) return void unusable.push(read)
            fresh.push(read)
            present.push(read)
          }), { concurrency, discard: true })
        // Warned about once, here, and out of the way of every later reader.
        for (const { name, reason } of unusable.sort((a, b) => (a.name < b.name ? -1 : 1))) {
          yield* quarantine.move(path.join(directory, name), reason)
        }
        const gone = known.size + fresh.length - present.length
        const legacy = index?.legacy === true
        if (index === undefined || index.corrupt || legacy || index.lines > 2 * present.length + 64 || gone > 0) {
          yield* rewriteIndex(present)
        } else if (fresh.length > 0) {
          yield* appendIndex(fresh.map(TraceIndex.encode))
        }
        // The facts file is `listNodeFacts`'s to create; an index of an older version hands over the facts it kept.
        if (legacy) yield* appendFacts(present, true)
        else yield* appendFacts(fresh)
        for (const entry of present) {
          if (entry.skip !== undefined) yield* Effect.logWarning(`skipping ${path.join(directory, entry.file)}: ${entry.skip}`)
        }
        return present
      })

    // -----------------------------------------------------------------------------------------------------------
    // Finished traces
    // -----------------------------------------------------------------------------------------------------------

    /**
     * The parsed files that may hold this id: named `*_{id}.json` and not declaring another id (a file of id `a_b`
     * is also named `*_b.json`). Problems with files that might be this trace are returned, not raised, so that a
     * readable copy still wins.
     */
    const candidates = (id: string, except?: string) =>
      Effect.gen(function*() {
        const found: Array<{ readonly file: string; readonly json: unknown }> = []
        const problems: Array<TraceStore.TraceStoreError> = []
        for (const name of yield* readNames) {
          if (!internal.mayHoldId(name, id)) continue
          const file = path.join(directory, name)
          if (file === except) continue
          const read = yield* Effect.either(readJson(file))
          if (read._tag === "Left") {
            problems.push(read.left)
            continue
          }
          if (Option.isNone(read.right)) continue
          const declared = internal.declaredTraceId(read.right.value)
          if (declared !== undefined && declared !== id) continue
          found.push({ file, json: read.right.value })
        }
        return { found, problems }
      })

    const unencodable = (file: string, traceId: string) => (cause: unknown) =>
      internal.corrupt(
        file,
        `cannot be written: the trace holds a value JSON cannot represent (${
          cause instanceof Error ? cause.message : String(cause)
        })`,
        traceId
      )

    /**
     * Streams the trace's JSON into a fresh temp file, flushed, then puts it in place: renamed over the final name,
     * or with `noClobber` hard-linked (failing with AlreadyExists rather than replacing a file). No partial file stays.
     */
    const writeAtomically = (trace: WorkflowTrace.WorkflowTrace, file: string, noClobber = false) => {
      const temp = path.join(directory, tempName(path.basename(file)))
      const cannotWrite = internal.unavailable("write trace to", file, trace.traceId)
      const streamToTemp = Effect.scoped(Effect.gen(function*() {
        // Created 0600 (whatever the umask), never through a link.
        const handle = yield* Effect.mapError(nofollow.open(temp, { flag: "wx", mode: 0o600 }), cannotWrite)
        const batches = TraceJson.bytes(trace)[Symbol.iterator]()
        while (true) {
          const next = yield* Effect.try({ try: () => batches.next(), catch: unencodable(file, trace.traceId) })
          if (next.done === true) break
          yield* Effect.mapError(handle.writeAll(next.value), cannotWrite)
        }
        // Flushed before the rename, so that the final name never points at data still in flight.
        yield* Effect.mapError(handle.sync, cannotWrite)
      }))
      return Effect.gen(function*() {
        yield* streamToTemp
        if (noClobber) {
          // Never over a file; a link in its place is not one of the store's files (removed, what it points at stays).
          const link = Effect.either(fs.link(temp, file))
          let linked = yield* link
          if (linked._tag === "Left" && linked.left._tag === "SystemError" && linked.left.reason === "AlreadyExists") {
            const there = yield* statOf(file)
            if (Option.isSome(there) && there.value.type === "SymbolicLink") {
              yield* Effect.ignore(fs.remove(file))
              linked = yield* link
            }
          }
          yield* Effect.ignore(fs.remove(temp))
          if (linked._tag === "Left") {
            if (linked.left._tag === "SystemError" && linked.left.reason === "AlreadyExists") return false
            return yield* Effect.fail(cannotWrite(linked.left))
          }
          return true
        }
        // Replaces whatever has the name (a link too), never what a link points at.
        yield* Effect.mapError(fs.rename(temp, file), cannotWrite)
        return true
      }).pipe(Effect.onError(() => Effect.ignore(fs.remove(temp))))
    }

    /** Removes other files holding this id (the same trace saved earlier under another workflow name). */
    const removeStale = (id: string, keep: string) =>
      Effect.gen(function*() {
        // The file just written is not read back: it can be a 100,000-node trace.
        const { found } = yield* candidates(id, keep)
        for (const { file, json } of found) {
          if (internal.declaredTraceId(json) !== id) continue
          yield* fs.remove(file).pipe(
            ignoreNotFound<void>(undefined),
            Effect.mapError(internal.unavailable("remove old copy of trace", file, id))
          )
          yield* appendIndex([TraceIndex.encodeRemoval(path.basename(file))])
        }
      })

    /** Writes a trace (captured: large payloads to blobs) and indexes it; with `noClobber`, never over a file. */
    const store = (trace: WorkflowTrace.WorkflowTrace, noClobber: boolean) =>
      Effect.gen(function*() {
        const id = yield* TraceStore.validateId(trace.traceId)
        const name = internal.fileName(trace.workflowName, id)
        const file = path.join(directory, name)
        yield* ensureDirectory
        const captured = yield* capturer.trace(trace)
        yield* writeBlobs(captured.blobs)
        const written = yield* writeAtomically(captured.trace, file, noClobber)
        if (!written) return false
        const stat = yield* statOf(file)
        if (Option.isSome(stat)) {
          const entry: TraceIndex.Entry = {
            file: name,
            ...stat.value,
            summary: WorkflowTrace.summarize(captured.trace),
            skip: undefined,
            blobs: captured.blobs.map((b) => b.sha256),
            facts: TraceIndex.encodeFacts(captured.trace.nodes.map(TraceStore.nodeFactsOf))
          }
          yield* appendIndex([TraceIndex.encode(entry)])
          yield* appendFacts([entry])
        }
        rememberFile(id, name)
        yield* removeStale(id, file)
        return true
      })

    const save = (trace: WorkflowTrace.WorkflowTrace): Effect.Effect<void, TraceStore.TraceStoreError> =>
      Effect.asVoid(store(trace, false))

    // -----------------------------------------------------------------------------------------------------------
    // Journals
    // -----------------------------------------------------------------------------------------------------------

    // What `release` abandons: the journals this store began and has not finished.
    const openJournals = new Set<() => Effect.Effect<void>>()

    /**
     * The header with its inputs captured as a trace's are (with `none`, no content; large values to blobs, written
     * here): the journal is a sink like the trace file.
     */
    const captureHeader = (header: Journal.JournalHeader) =>
      Effect.gen(function*() {
        // The capturer takes traces and entries: the inputs go through it as those of a started node.
        const started = Journal.nodeStarted({ nodeId: "", nodeType: "", timestamp: header.startTime, inputs: header.inputs })
        const captured = yield* capturer.entries([started])
        const entry = captured.entries[0]
        if (entry === started || entry?._tag !== "NodeStarted") return header
        yield* writeBlobs(captured.blobs)
        return { ...header, inputs: entry.node.inputs }
      })

    const begin = (header: Journal.JournalHeader): Effect.Effect<TraceStore.TraceJournal, TraceStore.TraceStoreError> =>
      Effect.gen(function*() {
        const id = yield* TraceStore.validateId(header.traceId)
        const file = path.join(directory, internal.journalFileName(header.workflowName, id))
        const cannotWrite = internal.unavailable("write journal", file, id)
        yield* ensureDirectory
        const scope = yield* Scope.make()
        // A new file, 0600, never through a link; a link already in its place is removed (what it points at stays).
        const there = yield* statOf(file)
        if (Option.isSome(there) && there.value.type === "SymbolicLink") yield* Effect.ignore(fs.remove(file))
        const handle = yield* nofollow.open(file, { flag: "wx", mode: 0o600 }).pipe(
          Effect.mapError(cannotWrite),
          Scope.extend(scope),
          Effect.onError(() => Scope.close(scope, Exit.void))
        )
        ownJournals.add(file)
        const write = (text: string) => Effect.mapError(handle.writeAll(encoder.encode(text)), cannotWrite)
        yield* write(Journal.encodeHeader(yield* captureHeader(header), options.owner) + "\n")
        // The heartbeat tells other processes this run is alive while it waits (a slow node writes nothing).
        // Interruptible even when the run started in an uninterruptible region (a fork inherits it), so `close` ends it.
        const beat = yield* Effect.forkDaemon(Effect.interruptible(
          Effect.flatMap(Clock.currentTimeMillis, (now) => fs.utimes(file, new Date(now), new Date(now))).pipe(
            Effect.ignore,
            Effect.repeat(Schedule.spaced(heartbeat))
          )
        ))
        // One append at a time: the writer fiber never overlaps itself, but `finish` may come while it writes.
        const lock = yield* Effect.makeSemaphore(1)
        let closed = false
        const close = Effect.gen(function*() {
          closed = true
          yield* Fiber.interrupt(beat)
          yield* Scope.close(scope, Exit.void)
          ownJournals.delete(file)
          openJournals.delete(abandon)
        })
        const abandon = (): Effect.Effect<void> => journal.abandon
        const journal = {
          traceId: id,
          append: (entries) =>
            lock.withPermits(1)(Effect.gen(function*() {
              if (closed || entries.length === 0) return
              const captured = yield* capturer.entries(entries)
              yield* writeBlobs(captured.blobs)
              const text = yield* Effect.try({
                try: () => captured.entries.map((e) => Journal.encodeEntry(e) + "\n").join(""),
                catch: unencodable(file, id)
              })
              yield* write(text)
            })),
          finish: (trace) =>
            lock.withPermits(1)(Effect.gen(function*() {
              // The final trace first: until it is in place, the journal is what a crash leaves.
              yield* save(trace)
              yield* close
              yield* fs.remove(file).pipe(ignoreNotFound<void>(undefined), Effect.ignore)
            })),
          abandon: lock.withPermits(1)(Effect.gen(function*() {
            if (closed) return
            yield* Effect.ignore(write(Journal.ABANDONED_LINE + "\n"))
            yield* close
          }))
        } satisfies TraceStore.TraceJournal
        openJournals.add(abandon)
        return journal
      })

    const recovery = Recovery.make({
      files,
      quarantine,
      owner: options.owner,
      isProcessAlive: options.isProcessAlive,
      staleAfterMs,
      tempGraceMs: (options.tempGraceSeconds ?? 600) * 1000,
      ownJournals,
      storeTrace: (trace) => store(trace, true)
    })

    /** The running traces of the live journals in a listing of the directory, recovering what dead runs left. */
    const sweepJournalsIn = recovery.sweep

    const sweepJournals = Effect.flatMap(readNames, sweepJournalsIn)

    /**
     * The journals swept, and the directory's trace files' index entries: one listing serves both (10,000 names take
     * a while to list), listed again only when the sweep recovered traces into new files.
     */
    const sweepAndIndex = Effect.gen(function*() {
      const listing = yield* readNames
      const { running, recovered } = yield* sweepJournalsIn(listing)
      const entries = yield* indexedEntriesIn(recovered.length === 0 ? listing : yield* readNames)
      return { running, entries }
    })

    const recover = Effect.map(sweepJournals, (s) => s.recovered as ReadonlyArray<string>)

    // -----------------------------------------------------------------------------------------------------------
    // Queries
    // -----------------------------------------------------------------------------------------------------------

    /**
     * The trace from the file the index names for it, without listing the directory; none when there is no such file
     * or it does not hold this trace now (then `get` looks the slow way, which also reports a broken file). A finished
     * trace wins over any journal of the same id, so no journal needs to be looked at.
     */
    const getIndexed = (id: string): Effect.Effect<Option.Option<WorkflowTrace.WorkflowTrace>> =>
      Effect.gen(function*() {
        if (!filesById.has(id)) yield* learnFromIndex
        const name = filesById.get(id)
        if (name === undefined) return Option.none()
        const file = path.join(directory, name)
        const text = yield* Effect.orElseSucceed(readText(file), () => Option.none<string>())
        if (Option.isNone(text)) return Option.none()
        const json = internal.parseJson(file, text.value)
        if (json._tag === "Left") return Option.none()
        const decoded = TraceDecoder.decodeFast(json.right)
        return decoded !== undefined && decoded.traceId === id ? Option.some(decoded) : Option.none()
      })

    const get = (traceId: string): Effect.Effect<WorkflowTrace.WorkflowTrace, TraceStore.TraceStoreError> =>
      Effect.gen(function*() {
        const id = yield* TraceStore.validateId(traceId)
        const indexed = yield* getIndexed(id)
        if (Option.isSome(indexed)) return indexed.value
        const { running } = yield* sweepJournals
        const { found, problems } = yield* candidates(id)
        for (const { file, json } of found) {
          const decoded = yield* Effect.either(decode(file, json))
          if (decoded._tag === "Right") return decoded.right
          // A file declaring this id that does not decode is this trace, broken; one without an id might be.
          if (internal.declaredTraceId(json) === id) return yield* Effect.fail(decoded.left)
          problems.push(decoded.left)
        }
        const live = running.find((r) => r.trace.traceId === id)
        if (live !== undefined) return live.trace
        if (problems[0] !== undefined) return yield* Effect.fail(problems[0])
        // Set aside earlier: named with the reason, not "no such trace".
        const quarantined = (yield* Effect.orElseSucceed(quarantine.list, () => [])).find((stray) =>
          internal.mayHoldId(stray.original, id)
        )
        if (quarantined !== undefined) {
          return yield* Effect.fail(internal.corrupt(
            quarantined.file,
            `${quarantined.reason} (set aside in the quarantine; prune removes it)`,
            id
          ))
        }
        return yield* Effect.fail(TraceStore.notFound(id))
      })

    const list = (query?: TraceStore.TraceQuery) =>
      Effect.gen(function*() {
        const { entries, running } = yield* sweepAndIndex
        const summaries: Array<WorkflowTrace.TraceSummary> = []
        for (const e of entries) if (e.summary !== undefined) summaries.push(e.summary)
        if (running.length > 0) {
          const stored = new Set(summaries.map((s) => s.traceId))
          for (const r of running) if (!stored.has(r.trace.traceId)) summaries.push(WorkflowTrace.summarize(r.trace))
        }
        return TraceStore.applyQuery(summaries, query)
      })

    /**
     * `list` with node facts: from the facts file where it has them for the file as the index knows it, else from the
     * file (and the facts file learns them), and from the journal for a running trace.
     */
    const listNodeFacts = (query?: TraceStore.TraceQuery) =>
      Effect.gen(function*() {
        const [{ entries, running }, stored] = yield* Effect.all([sweepAndIndex, readFacts], { concurrency: 2 })
        const known = stored?.facts ?? new Map<string, TraceIndex.Facts>()
        /** The facts at hand for an entry: just read, or from the facts file if taken from this version of the file. */
        const factsOf = (entry: TraceIndex.Entry): unknown => {
          if (entry.facts !== undefined) return entry.facts
          const kept = known.get(entry.file)
          return kept !== undefined && kept.size === entry.size && kept.mtime === entry.mtime ? kept.nodes : undefined
        }
        const sources = new Map<WorkflowTrace.TraceSummary, TraceIndex.Entry | WorkflowTrace.WorkflowTrace>()
        for (const entry of entries) if (entry.summary !== undefined) sources.set(entry.summary, entry)
        const storedIds = new Set(Array.from(sources.keys(), (s) => s.traceId))
        for (const r of running) {
          if (!storedIds.has(r.trace.traceId)) sources.set(WorkflowTrace.summarize(r.trace), r.trace)
        }
        const selected = TraceStore.applyQuery(Array.from(sources.keys()), query)
        // Most come from the facts file, in one plain loop; only the others are read, a few files at a time.
        const facts: Array<TraceStore.TraceFacts | undefined> = new Array(selected.length)
        const unknown: Array<number> = []
        selected.forEach((summary, i) => {
          const source = sources.get(summary)!
          if (!("file" in source)) facts[i] = TraceStore.factsOf(source)
          else {
            const nodes = TraceIndex.decodeFacts(factsOf(source))
            if (nodes === undefined) unknown.push(i)
            else facts[i] = { ...summary, nodes }
          }
        })
        const learned = new Map<string, TraceIndex.Entry>()
        yield* Effect.forEach(unknown, (i) =>
          Effect.gen(function*() {
            const summary = selected[i]!
            const source = sources.get(summary) as TraceIndex.Entry
            // Not in the facts file (none yet, an older one, or a large trace): read from the file.
            const file = path.join(directory, source.file)
            const read = yield* Effect.either(Effect.gen(function*() {
              const text = yield* readText(file)
              if (Option.isNone(text)) return yield* internal.corrupt(file, "is gone (removed while listing)")
              return yield* decode(file, yield* internal.parseJson(file, text.value))
            }))
            if (read._tag === "Left") return yield* Effect.logWarning(`skipping ${file}: ${read.left.description}`)
            const nodes = read.right.nodes.map(TraceStore.nodeFactsOf)
            const encoded = TraceIndex.encodeFacts(nodes)
            if (encoded !== undefined && read.right.traceId === summary.traceId) {
              learned.set(source.file, { ...source, facts: encoded })
            }
            facts[i] = { ...summary, nodes }
          }), { concurrency: 16, discard: true })
        if (stored === undefined || stored.corrupt || stored.lines > 2 * entries.length + 64) {
          // Written anew with what is known of the files as they are now.
          yield* rewrite(
            factsFile,
            entries.flatMap((e) => {
              const nodes = learned.get(e.file)?.facts ?? factsOf(e)
              return nodes === undefined ? [] : [TraceIndex.encodeFactsLine({ ...e, facts: nodes })!]
            })
          )
        } else yield* appendFacts(Array.from(learned.values()))
        return facts.filter((f): f is TraceStore.TraceFacts => f !== undefined)
      })

    const remove = (traceId: string): Effect.Effect<void, TraceStore.TraceStoreError> =>
      Effect.gen(function*() {
        const id = yield* TraceStore.validateId(traceId)
        filesById.delete(id)
        yield* sweepJournals
        const { found, problems } = yield* candidates(id)
        let removed = false
        for (const { file, json } of found) {
          if (internal.declaredTraceId(json) !== id) {
            problems.push(internal.corrupt(file, "is not a valid trace: trace_id: is missing", id))
            continue
          }
          yield* fs.remove(file).pipe(
            ignoreNotFound<void>(undefined),
            Effect.mapError(internal.unavailable("remove trace", file, id))
          )
          yield* appendIndex([TraceIndex.encodeRemoval(path.basename(file))])
          removed = true
        }
        if (!removed) return yield* Effect.fail(problems[0] ?? TraceStore.notFound(id))
      })

    const prune = (pruneOptions: TraceStore.PruneOptions) =>
      Effect.gen(function*() {
        const { entries, running } = yield* sweepAndIndex
        const traced = entries.flatMap((e) => (e.summary === undefined ? [] : [{ entry: e, summary: e.summary }]))
        const plan = TraceStore.planPrune(traced.map((t) => ({ summary: t.summary, bytes: t.entry.size })), pruneOptions)
        const planned = new Set(plan.map((p) => p.summary.traceId))
        const dryRun = pruneOptions.dryRun === true
        let freedBytes = plan.reduce((sum, p) => sum + p.bytes, 0)
        if (!dryRun) {
          for (const t of traced) {
            if (!planned.has(t.summary.traceId)) continue
            const file = path.join(directory, t.entry.file)
            yield* fs.remove(file).pipe(
              ignoreNotFound<void>(undefined),
              Effect.mapError(internal.unavailable("remove trace", file, t.summary.traceId))
            )
          }
          yield* appendIndex(traced.filter((t) => planned.has(t.summary.traceId)).map((t) => TraceIndex.encodeRemoval(t.entry.file)))
        }
        // Blobs nobody refers to any more: not by a trace that stays, not by a live journal.
        const referenced = new Set<string>()
        for (const t of traced) if (!planned.has(t.summary.traceId)) for (const b of t.entry.blobs) referenced.add(b)
        for (const r of running) for (const b of Payload.referencedHashes(r.text)) referenced.add(b)
        // A link in place of the blob directory is not listed (its names would be removed from wherever it points).
        const blobState = yield* blobDirectoryState
        if (blobState === "untrusted") yield* Effect.logWarning(`skipping ${blobDirectory}: it is not a real directory (a link?)`)
        const blobNames = blobState !== "ok" ? [] : yield* fs.readDirectory(blobDirectory).pipe(
          ignoreNotFound<ReadonlyArray<string>>([]),
          Effect.mapError(internal.unavailable("list blobs in", blobDirectory))
        )
        const now = yield* Clock.currentTimeMillis
        let blobsRemoved = 0
        // What is stray goes whatever the rules (it takes room, and holds nothing a trace can use): the quarantine,
        // with what this sweep put there, and the unfinished blob writes of dead runs.
        const strays = [...yield* quarantine.list, ...yield* recovery.orphanedBlobTemps(blobDirectory, blobNames)]
        if (!dryRun) yield* quarantine.remove(strays)
        for (const stray of strays) freedBytes += stray.bytes
        for (const name of blobNames) {
          if (!TraceStore.isSha256(name) || referenced.has(name)) continue
          const file = path.join(blobDirectory, name)
          const stat = yield* fileStatOf(file)
          if (Option.isNone(stat)) continue
          // A live run may have written a blob it has not referred to yet.
          if (running.length > 0 && now - stat.value.mtime < blobGraceMs) continue
          if (!dryRun) {
            yield* fs.remove(file).pipe(ignoreNotFound<void>(undefined), Effect.mapError(internal.unavailable("remove blob", file)))
          }
          blobsRemoved++
          freedBytes += stat.value.size
        }
        return {
          removed: plan.map((p) => p.summary),
          freedBytes,
          blobsRemoved,
          dryRun,
          strays: strays.map(({ bytes, file, reason }) => ({ file, reason, bytes }))
        } satisfies PruneResult
      })

    return {
      store: TraceStore.TraceStore.of({ begin, recover, prune, readBlob, save, get, list, listNodeFacts, remove }),
      prepare: ensureDirectory,
      // A program that ends without ending its traces: their journals are marked abandoned (the next reader stores
      // them as incomplete at once) and their heartbeats stop.
      release: Effect.suspend(() => Effect.forEach(Array.from(openJournals), (abandon) => abandon(), { discard: true }))
    }
  })

/** The file system trace store as a layer; needs `FileSystem` and `Path` (e.g. `NodeContext.layer`). */
export const layer = (options: Options): Layer.Layer<TraceStore.TraceStore, never, FileSystem.FileSystem | Path.Path> =>
  Layer.scoped(
    TraceStore.TraceStore,
    Effect.map(Effect.acquireRelease(makeReleasable(options), ({ release }) => release), ({ store }) => store)
  )

/**
 * The store as a layer that checks its directory first, as a write would: created (0700) when missing; a link, a
 * directory of another user (with `userId`) or a path where no directory can be made fails the layer. For a program
 * about to run a workflow: one whose trace could not be stored is better not started.
 */
export const layerPrepared = (
  options: Options
): Layer.Layer<TraceStore.TraceStore, TraceStore.TraceStoreError, FileSystem.FileSystem | Path.Path> =>
  Layer.scoped(
    TraceStore.TraceStore,
    Effect.gen(function*() {
      const made = yield* Effect.acquireRelease(makeReleasable(options), ({ release }) => release)
      yield* made.prepare
      return made.store
    })
  )

/** A file `prune` removed (or would remove) because it is stray: quarantined, or an unfinished write of a dead run. */
export interface Stray {
  readonly file: string
  /** Why, as it follows the file's name: "is not valid JSON: ...", "is an empty journal ...". */
  readonly reason: string
  readonly bytes: number
}

/** What `prune` of this store gives: the contract's result, and the stray files (counted in `freedBytes`). */
export interface PruneResult extends TraceStore.PruneResult {
  readonly strays: ReadonlyArray<Stray>
}

/** The stray files a prune result names: those of a file system store's, none for another store's. */
export const straysOf = (result: TraceStore.PruneResult): ReadonlyArray<Stray> => {
  const strays = (result as Partial<PruneResult>).strays
  return Array.isArray(strays) ? strays : []
}
