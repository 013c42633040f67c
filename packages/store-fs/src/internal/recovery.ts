/**
 * Recovery of what dead runs left in the file system store, run by every reader before it lists (see
 * `FileSystemTraceStore`):
 * - a temp file of a save whose writer is gone (kill -9 between the write and the rename): a complete trace is put
 *   in place (it is the run's real trace, better than what its journal would give); anything else is quarantined;
 * - a journal whose run is gone: turned into an `incomplete` trace; an empty journal, or one without a header,
 *   untouched for `staleAfter`, is quarantined (no run will ever write to it);
 * - a claim left by a recovery that died half-way: recovered again.
 *
 * A run is gone when its owner (pid and host, in the journal's header or the temp file's name) is a process of this
 * host that no longer exists, or, when that cannot be known, when the file has not been touched for a while: a
 * journal's heartbeat for `staleAfter`, a temp file (touched by every write) for `tempGrace`.
 */
import * as Journal from "@victor/core/Journal"
import * as TraceDecoder from "@victor/core/TraceDecoder"
import type * as TraceStore from "@victor/core/TraceStore"
import type * as WorkflowTrace from "@victor/core/WorkflowTrace"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Quarantine from "./quarantine.ts"
import type * as Files from "./storeFiles.ts"
import * as internal from "./traceFiles.ts"

/** What recovery needs of the store. */
export interface RecoveryOptions {
  readonly files: Files.StoreFiles
  readonly quarantine: Quarantine.Quarantine
  /** This process, as it stamps its journals and temp files. */
  readonly owner: Journal.JournalOwner | undefined
  readonly isProcessAlive: ((pid: number) => boolean) | undefined
  readonly staleAfterMs: number
  readonly tempGraceMs: number
  /** The journals this process is writing: never recovered from under it. */
  readonly ownJournals: ReadonlySet<string>
  /** Stores a recovered trace, never over a file; false when a file was there. */
  readonly storeTrace: (trace: WorkflowTrace.WorkflowTrace) => Effect.Effect<boolean, TraceStore.TraceStoreError>
}

/** A running trace, from its journal. */
export interface Running {
  readonly trace: WorkflowTrace.WorkflowTrace
  readonly text: string
}

type JournalState =
  | { readonly _tag: "Live"; readonly trace: WorkflowTrace.WorkflowTrace; readonly file: string; readonly text: string }
  | { readonly _tag: "Dead"; readonly file: string }
  | { readonly _tag: "Stray"; readonly file: string; readonly reason: string }
  | { readonly _tag: "Gone" }

const randomSuffix = () => globalThis.crypto.randomUUID().replaceAll("-", "").slice(0, 12)

const formatAge = (ms: number): string => {
  const minutes = Math.round(ms / 60_000)
  return minutes < 120 ? `${Math.max(1, minutes)} min` : `${Math.round(minutes / 60)} h`
}

/** A store error's problem, without the "trace file {path} " it starts with. */
const problemOf = (error: TraceStore.TraceStoreError, file: string): string => {
  const prefix = `trace file ${file} `
  return error.description.startsWith(prefix) ? error.description.slice(prefix.length) : error.description
}

/** The recovery of a store. */
export const make = (options: RecoveryOptions) => {
  const { files, quarantine, staleAfterMs } = options
  const { fs, path, directory } = files

  /** Whether the run writing a journal is alive. */
  const isLive = (
    file: string,
    journal: { readonly owner: Journal.JournalOwner | undefined; readonly abandoned: boolean },
    ageMs: number
  ): boolean => {
    if (journal.abandoned) return false
    const owner = journal.owner
    const self = options.owner
    if (owner !== undefined && self !== undefined && owner.host === self.host) {
      // This process: alive by definition for the journals it writes; an older one with a reused pid is not.
      if (owner.pid === self.pid) return options.ownJournals.has(file) || ageMs < staleAfterMs
      if (options.isProcessAlive !== undefined) {
        if (!options.isProcessAlive(owner.pid)) return false
        // A live pid whose heartbeat stopped long ago is another program that reused the pid.
        return ageMs < staleAfterMs * 10
      }
    }
    return ageMs < staleAfterMs
  }

  /** Reads a journal and tells whether its run is alive. */
  const inspectJournal = (name: string): Effect.Effect<JournalState, TraceStore.TraceStoreError> =>
    Effect.gen(function*() {
      const file = path.join(directory, name)
      const stat = yield* files.statOf(file)
      const text = yield* files.readText(file, "read journal", "journal")
      if (Option.isNone(stat) || Option.isNone(text)) return { _tag: "Gone" } as const
      const now = yield* Clock.currentTimeMillis
      const age = now - stat.value.mtime
      // The header says whose it is; the rest is read only for a live run (to list it) or by the recovery.
      const header = Journal.parseHeader(text.value)
      if (header._tag === "Left") {
        // A journal being created has no header yet; an old one without a header never will have one.
        if (age < staleAfterMs) return { _tag: "Gone" } as const
        return {
          _tag: "Stray",
          file,
          reason: text.value.length === 0
            ? "is an empty journal (its run stopped before writing its first line)"
            : `is not a trace journal: ${header.left}`
        } as const
      }
      if (isLive(file, header.right, age)) {
        const parsed = Journal.parse(text.value)
        if (parsed._tag === "Left") return { _tag: "Gone" } as const
        return {
          _tag: "Live",
          file,
          text: text.value,
          trace: Journal.rebuild(parsed.right.header, parsed.right.entries, "running")
        } as const
      }
      return { _tag: "Dead", file } as const
    })

  /** The journal's own name, from a claim's (`.{name}.recovering-{random}`). */
  const journalNameOf = (claim: string): string => {
    const name = path.basename(claim)
    const at = name.lastIndexOf(".recovering-")
    return at > 1 ? name.slice(1, at) : name
  }

  /** Recovers one dead journal into an `incomplete` trace; the id, or none when another process got there first. */
  const recoverJournal = (file: string) =>
    Effect.gen(function*() {
      const claim = path.join(directory, `.${path.basename(file)}.recovering-${randomSuffix()}`)
      // Only a regular file is claimed (a link is never touched: the utimes below would follow it).
      if (Option.isNone(yield* files.fileStatOf(file))) return Option.none<string>()
      const claimed = yield* Effect.either(fs.rename(file, claim))
      if (claimed._tag === "Left") {
        if (internal.isNotFound(claimed.left)) return Option.none<string>()
        return yield* Effect.fail(internal.unavailable("recover journal", file)(claimed.left))
      }
      // The run's last sign of life, kept before the claim is touched (a fresh claim is one being worked on).
      const lastSeen = yield* files.fileStatOf(claim)
      if (Option.isNone(lastSeen)) return Option.none<string>()
      const now = yield* Clock.currentTimeMillis
      yield* Effect.ignore(fs.utimes(claim, new Date(now), new Date(now)))
      // Read again once claimed: the file is final now.
      const text = yield* files.readText(claim, "read journal", "journal")
      if (Option.isNone(text)) return Option.none<string>()
      const parsed = Journal.parse(text.value)
      if (parsed._tag === "Left") {
        yield* quarantine.move(claim, `is not a trace journal: ${parsed.left}`, journalNameOf(claim))
        return Option.none<string>()
      }
      // The last heartbeat (the rename keeps the mtime) is when the run was last seen alive.
      const lastAlive = lastSeen.value.mtime > 0 ? lastSeen.value.mtime / 1000 : undefined
      const trace = Journal.rebuild(parsed.right.header, parsed.right.entries, "incomplete", lastAlive)
      // Never over a file: if the run did finish after all, its own trace stays.
      yield* options.storeTrace(trace)
      yield* Effect.ignore(fs.remove(claim))
      return Option.some(trace.traceId)
    })

  /**
   * Claims left by a recovery that died half-way (untouched for `staleAfter`): recovered again. A claim made
   * after the listing was taken is fresh, never abandoned, so the listing taken before the sweep is enough.
   */
  const abandonedClaims = (listing: ReadonlyArray<string>) =>
    Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const stale: Array<string> = []
      for (const name of listing.filter(internal.isClaimFileName)) {
        const stat = yield* files.fileStatOf(path.join(directory, name))
        if (Option.isSome(stat) && now - stat.value.mtime >= staleAfterMs) stale.push(path.join(directory, name))
      }
      return stale
    })

  /** Why a temp file is orphaned, in words. */
  const whyOrphaned = (temp: internal.TempName, ageMs: number): string => {
    const self = options.owner
    const dead = temp.owner !== undefined && self !== undefined && temp.owner.pid !== self.pid &&
      temp.owner.hostTag === internal.hostTag(self.host) && options.isProcessAlive?.(temp.owner.pid) === false
    return dead ? `its writer, pid ${temp.owner!.pid}, is gone` : `untouched for ${formatAge(ageMs)}`
  }

  /**
   * An orphaned temp file of a trace: put in place when it holds the complete trace its name says (no file there
   * yet, or only what a recovery made of the journal), else quarantined. The id of a trace put in place.
   */
  const recoverTemp = (file: string, target: string, why: string) =>
    Effect.gen(function*() {
      const unfinished = `is an unfinished write of ${target} (${why})`
      const setAside = (problem: string) => Effect.as(quarantine.move(file, `${unfinished}: ${problem}`), Option.none<string>())
      const read = yield* Effect.either(files.readText(file, "read", "temp file"))
      if (read._tag === "Left") return yield* setAside(problemOf(read.left, file))
      if (Option.isNone(read.right)) return Option.none<string>()
      const json = internal.parseJson(file, read.right.value)
      if (json._tag === "Left") return yield* setAside(problemOf(json.left, file))
      const decoded = yield* Effect.either(TraceDecoder.decodeUnknown(json.right))
      if (decoded._tag === "Left") return yield* setAside(problemOf(internal.notATrace(file, decoded.left), file))
      const trace = decoded.right
      if (!target.endsWith(`_${trace.traceId}.json`)) return yield* setAside(`it holds trace ${trace.traceId}`)
      const final = path.join(directory, target)
      const linked = yield* Effect.either(fs.link(file, final))
      if (linked._tag === "Right") {
        yield* Effect.ignore(fs.remove(file))
        return Option.some(trace.traceId)
      }
      if (linked.left._tag === "SystemError" && linked.left.reason === "AlreadyExists") {
        // What a recovery made of the journal is replaced by the trace the run finished with.
        const there = yield* Effect.orElseSucceed(files.readText(final), () => Option.none<string>())
        const stored = Option.flatMap(there, (text) => Option.getRight(internal.parseJson(final, text)))
        const storedStatus = Option.map(stored, (json) => (json as { status?: unknown }).status)
        if (
          Option.isSome(storedStatus) && storedStatus.value === "incomplete" && trace.status !== "incomplete" &&
          Option.isSome(yield* files.fileStatOf(final))
        ) {
          const renamed = yield* Effect.either(fs.rename(file, final))
          if (renamed._tag === "Right") return Option.some(trace.traceId)
        }
        return yield* setAside(`${target} is stored`)
      }
      return yield* setAside(`cannot be put in place: ${internal.describePlatformError(linked.left)}`)
    })

  /** The orphaned temp files of a listing of the directory: traces put in place, the rest quarantined. */
  const sweepTemps = (listing: ReadonlyArray<string>) =>
    Effect.gen(function*() {
      const recovered: Array<string> = []
      const now = yield* Clock.currentTimeMillis
      for (const name of listing) {
        if (!name.startsWith(".") || !name.endsWith(".tmp")) continue
        const temp = internal.parseTempFileName(name)
        if (temp === undefined) continue
        const file = path.join(directory, name)
        // A link is none of the store's making: never read or moved.
        const stat = yield* files.fileStatOf(file)
        if (Option.isNone(stat)) continue
        const age = now - stat.value.mtime
        if (!internal.isOrphanedTemp(temp, age, options.tempGraceMs, options.owner, options.isProcessAlive)) continue
        const why = whyOrphaned(temp, age)
        if (internal.isTraceFileName(temp.target)) {
          const done = yield* recoverTemp(file, temp.target, why)
          if (Option.isSome(done)) recovered.push(done.value)
        } else yield* quarantine.move(file, `is an unfinished write of ${temp.target} (${why})`)
      }
      return recovered
    })

  /**
   * Orphaned temp files of blobs (`blobs/.{sha256}.{random}.tmp`), for prune: a blob is written before any trace
   * refers to it, so an unfinished one is never needed.
   */
  const orphanedBlobTemps = (blobDirectory: string, names: ReadonlyArray<string>) =>
    Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const orphans: Array<Quarantine.Stray> = []
      for (const name of names) {
        const temp = internal.parseTempFileName(name)
        if (temp === undefined) continue
        const file = path.join(blobDirectory, name)
        const stat = yield* files.fileStatOf(file)
        if (Option.isNone(stat)) continue
        const age = now - stat.value.mtime
        if (!internal.isOrphanedTemp(temp, age, options.tempGraceMs, options.owner, options.isProcessAlive)) continue
        orphans.push({
          file,
          original: name,
          reason: `is an unfinished write of blob ${temp.target} (${whyOrphaned(temp, age)})`,
          bytes: stat.value.size,
          paths: [file]
        })
      }
      return orphans as ReadonlyArray<Quarantine.Stray>
    })

  /**
   * The running traces of the live journals in a listing of the directory, recovering what dead runs left on the
   * way (temp files first: a complete trace beats what its journal gives); the ids of the traces recovered.
   */
  const sweep = (listing: ReadonlyArray<string>) =>
    Effect.gen(function*() {
      const running: Array<Running> = []
      const recovered: Array<string> = yield* sweepTemps(listing)
      for (const name of listing.filter(internal.isJournalFileName)) {
        const state = yield* Effect.either(inspectJournal(name))
        if (state._tag === "Left") {
          yield* Effect.logWarning(`skipping ${path.join(directory, name)}: ${state.left.description}`)
          continue
        }
        const found = state.right
        if (found._tag === "Live") running.push(found)
        else if (found._tag === "Stray") yield* quarantine.move(found.file, found.reason)
        else if (found._tag === "Dead") {
          const done = yield* Effect.either(recoverJournal(found.file))
          if (done._tag === "Left") yield* Effect.logWarning(`cannot recover ${found.file}: ${done.left.description}`)
          else if (Option.isSome(done.right)) recovered.push(done.right.value)
        }
      }
      for (const claim of yield* abandonedClaims(listing)) {
        const done = yield* Effect.either(recoverJournal(claim))
        if (done._tag === "Right" && Option.isSome(done.right)) recovered.push(done.right.value)
        if (done._tag === "Right") yield* Effect.ignore(fs.remove(claim))
      }
      return { running: running as ReadonlyArray<Running>, recovered: recovered as ReadonlyArray<string> }
    })

  return { sweep, orphanedBlobTemps }
}

/** The recovery of a store: its sweep, and the orphaned blob temp files prune removes. */
export type Recovery = ReturnType<typeof make>
