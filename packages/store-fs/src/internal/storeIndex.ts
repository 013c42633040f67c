/**
 * The index of the file system store, kept up to date: the entry of every trace file of a listing, from the index
 * (`.index.jsonl`) where its size and mtime still match and read from the file where not, so that `list` reads one
 * small file and stats the rest; the facts file (`.facts.jsonl`) read, appended and rewritten beside it; and which
 * file holds which trace id, so that `get` reads one file without listing the directory. Their formats are
 * `traceIndex.ts`'s; both are caches, rebuilt from the files, and a failure to write one only makes it stale.
 */
import * as Payload from "@victor/core/Payload"
import * as NodeFacts from "@victor/core/NodeFacts"
import * as TraceStore from "@victor/core/TraceStore"
import * as WorkflowTrace from "@victor/core/WorkflowTrace"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Quarantine from "./quarantine.ts"
import * as Files from "./storeFiles.ts"
import * as internal from "./traceFiles.ts"
import * as TraceIndex from "./traceIndex.ts"

/** How many files are read or stat'ed at the same time. */
const concurrency = 32

/** A file that can never be used as a trace (not JSON, not a trace, misnamed), and why: it goes to quarantine. */
interface Unusable {
  readonly _tag: "Unusable"
  readonly name: string
  readonly reason: string
}

/** The index and facts file of a store, and what it remembers of them. */
export interface StoreIndex {
  readonly factsFile: string
  /** Notes which file holds a trace (a hint for `fileOf`, never trusted). */
  readonly remember: (traceId: string, name: string) => void
  /** Forgets which file holds a trace. */
  readonly forget: (traceId: string) => void
  /** The name of the file that held this trace as the index (or a save) last said, if any. */
  readonly fileOf: (traceId: string) => Effect.Effect<string | undefined>
  /**
   * The index entry of every trace file in a listing of the directory, from the index where it is up to date; keeps
   * the index up to date, and quarantines the files that can never be used.
   */
  readonly entriesIn: (
    listing: ReadonlyArray<string>
  ) => Effect.Effect<ReadonlyArray<TraceIndex.Entry>, TraceStore.TraceStoreError>
  /** Appends lines to the index, when there is one. */
  readonly appendIndex: (lines: ReadonlyArray<string>) => Effect.Effect<void>
  /** Appends the facts of entries that have them to the facts file, when there is one (or also when not, `create`). */
  readonly appendFacts: (entries: ReadonlyArray<TraceIndex.Entry>, create?: boolean) => Effect.Effect<void>
  /** The facts file, parsed; undefined when it is missing or cannot be read (then it is written anew). */
  readonly readFacts: Effect.Effect<TraceIndex.ParsedFacts | undefined>
  /** Replaces a cache file with these lines: written to a temp file and renamed, so a reader never sees half. */
  readonly rewrite: (file: string, lines: Iterable<string>) => Effect.Effect<void>
}

/** The index of the store the files are of; `tempName`: a temp file's name, stamped with this process. */
export const make = (
  files: Files.StoreFiles,
  quarantine: Quarantine.Quarantine,
  tempName: (name: string) => string
): StoreIndex => {
  const { directory, fs, nofollow, path, readText, statOf } = files
  const encoder = new TextEncoder()
  const indexFile = path.join(directory, TraceIndex.INDEX_NAME)
  const factsFile = path.join(directory, TraceIndex.FACTS_NAME)

  /**
   * Which files hold which trace, as the index (or a save) last said: `get` reads the file it names instead of
   * listing the directory. A hint, never trusted: a file that is gone or holds another trace sends `get` the slow way.
   */
  const filesById = new Map<string, string>()
  const remember = (traceId: string, name: string) => void filesById.set(traceId, name)
  const forget = (traceId: string) => void filesById.delete(traceId)
  // The index's size and mtime when `filesById` was last filled from it.
  let indexStamp: { size: number; mtime: number } | undefined

  /** A cache file's text, or undefined when it is missing or cannot be read (then it is rebuilt and replaced). */
  const readCache = (file: string, what: string, kind: string): Effect.Effect<string | undefined> =>
    readText(file, what, kind).pipe(
      Effect.map(Option.getOrUndefined),
      Effect.catchAll((error) =>
        error.reason === "Insecure"
          ? Effect.as(Effect.logWarning(`replacing ${file}: it ${Files.LINK_PROBLEM}`), undefined)
          : Effect.succeed(undefined)
      )
    )

  const readIndex: Effect.Effect<TraceIndex.Parsed | undefined> = Effect.map(
    readCache(indexFile, "read index", "index"),
    (text) => (text === undefined ? undefined : TraceIndex.parse(text))
  )

  /** Fills `filesById` from the index file when it changed since (a `get` before any `list` in this process). */
  const learnFromIndex = Effect.gen(function*() {
    // A link is left alone here: the next `list` replaces it.
    const stat = yield* files.fileStatOf(indexFile)
    if (Option.isNone(stat)) return
    if (indexStamp !== undefined && indexStamp.size === stat.value.size && indexStamp.mtime === stat.value.mtime) return
    const index = yield* readIndex
    if (index === undefined) return
    indexStamp = stat.value
    for (const entry of index.entries.values()) {
      if (entry.summary !== undefined) remember(entry.summary.traceId, entry.file)
    }
  })

  const fileOf = (traceId: string): Effect.Effect<string | undefined> =>
    Effect.suspend(() =>
      filesById.has(traceId)
        ? Effect.succeed(filesById.get(traceId))
        : Effect.map(learnFromIndex, () => filesById.get(traceId))
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

  const appendFacts = (entries: ReadonlyArray<TraceIndex.Entry>, create = false) =>
    appendTo(factsFile, entries.flatMap((e) => TraceIndex.encodeFactsLine(e) ?? []), create)

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

  const readFacts: Effect.Effect<TraceIndex.ParsedFacts | undefined> = Effect.map(
    readCache(factsFile, "read node facts", "node facts file"),
    (text) => (text === undefined ? undefined : TraceIndex.parseFacts(text))
  )

  /** The size and mtime of each file (undefined for one that is gone), a few fibers each going through its share. */
  const statAll = (names: ReadonlyArray<string>) =>
    Effect.gen(function*() {
      const stats: Array<Files.Stat | undefined> = new Array(names.length)
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
  const entryOf = (name: string, stat: Files.Stat): Effect.Effect<TraceIndex.Entry | Unusable | undefined> => {
    const file = path.join(directory, name)
    const base = { file: name, size: stat.size, mtime: stat.mtime }
    // Not read at all: a link (where it points is none of the store's business), a FIFO (a read would wait).
    if (stat.type !== "File") {
      return Effect.succeed({
        ...base,
        summary: undefined,
        skip: stat.type === "SymbolicLink" ? Files.LINK_PROBLEM : `is not a regular file (${stat.type})`,
        blobs: [],
        facts: undefined
      })
    }
    return Effect.gen(function*() {
      const text = yield* readText(file)
      if (Option.isNone(text)) return undefined
      const json = yield* internal.parseJson(file, text.value)
      const trace = yield* internal.decodeTrace(file, json)
      if (!name.endsWith(`_${trace.traceId}.json`)) {
        const reason = `holds trace ${trace.traceId} but is not named *_${trace.traceId}.json`
        return { _tag: "Unusable" as const, name, reason }
      }
      remember(trace.traceId, name)
      return {
        ...base,
        summary: WorkflowTrace.summarize(trace),
        skip: undefined,
        blobs: Payload.referencedHashes(text.value),
        facts: TraceIndex.encodeFacts(trace.nodes.map(NodeFacts.nodeFactsOf))
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

  const entriesIn = (
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
      const unknown: Array<{ readonly name: string; readonly stat: Files.Stat }> = []
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
          if (entry.summary !== undefined) remember(entry.summary.traceId, name)
          present.push(entry)
        } else unknown.push({ name, stat })
      })
      const unusable: Array<Unusable> = []
      yield* Effect.forEach(unknown, ({ name, stat }) =>
        Effect.map(entryOf(name, stat), (read) => {
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

  return { factsFile, remember, forget, fileOf, entriesIn, appendIndex, appendFacts, readFacts, rewrite }
}
