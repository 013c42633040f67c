/**
 * The quarantine of the file system store: a file of the store that can never be used — a trace file that is not
 * JSON or not a trace, an empty journal or one without a header, an unfinished write whose writer is gone — is moved
 * to `quarantine/` in the store, with a `{name}.reason` file beside it saying why in one line. Moved once, it is
 * warned about once (when moved), no later command trips over it, nothing in it is lost, and `prune` removes it.
 *
 * A move claims the file with a rename (two processes never both move it), then links it under its own name, or
 * `{name}~2`, `{name}~3`, ... when that is taken (a hard link never replaces a file quarantined before).
 */
import type * as TraceStore from "@victor/core/TraceStore"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Files from "./storeFiles.ts"
import * as internal from "./traceFiles.ts"

/** The quarantine's directory name in the store. */
export const DIRECTORY_NAME = "quarantine"

/** The suffix of the file that says why a file was quarantined. */
export const REASON_SUFFIX = ".reason"

/** The longest reason kept (a reason quotes a parse error, never file content). */
const MAX_REASON = 500

/** A file in the quarantine. */
export interface Stray {
  /** Its path in the quarantine. */
  readonly file: string
  /** The name it had in the store. */
  readonly original: string
  /** Why it was set aside, as it follows the file's name: "is not valid JSON: ...". */
  readonly reason: string
  /** Its bytes and its reason file's. */
  readonly bytes: number
  /** The paths prune removes: the file and its reason file. */
  readonly paths: ReadonlyArray<string>
}

/** The quarantine of a store. */
export interface Quarantine {
  readonly directory: string
  /**
   * Moves a file of the store into the quarantine with its reason, and warns once. Never fails: a file that cannot
   * be moved is warned about and stays where it is. `name`: the name to keep it under, when not its own (a claimed
   * journal is kept under the journal's name).
   */
  readonly move: (file: string, reason: string, name?: string) => Effect.Effect<void>
  /** What the quarantine holds, by name. */
  readonly list: Effect.Effect<ReadonlyArray<Stray>, TraceStore.TraceStoreError>
  /** Removes files of the quarantine (a prune). */
  readonly remove: (strays: ReadonlyArray<Stray>) => Effect.Effect<void, TraceStore.TraceStoreError>
}

const randomSuffix = () => globalThis.crypto.randomUUID().replaceAll("-", "").slice(0, 12)

const firstLine = (text: string): string => {
  const line = text.split("\n", 1)[0]!.trim()
  return line.length > MAX_REASON ? `${line.slice(0, MAX_REASON - 3)}...` : line
}

/** The quarantine of the store the files are of. */
export const make = (files: Files.StoreFiles): Quarantine => {
  const { fs, nofollow, path } = files
  const directory = path.join(files.directory, DIRECTORY_NAME)
  const encoder = new TextEncoder()

  const writeReason = (file: string, reason: string) =>
    Effect.gen(function*() {
      const reasonFile = file + REASON_SUFFIX
      // A reason left from an earlier file of this name (or a link planted there) goes first.
      yield* Effect.ignore(fs.remove(reasonFile))
      yield* Effect.scoped(
        Effect.flatMap(
          nofollow.open(reasonFile, { flag: "wx", mode: 0o600 }),
          (handle) => handle.writeAll(encoder.encode(firstLine(reason) + "\n"))
        )
      )
    }).pipe(Effect.ignore)

  const move = (file: string, reason: string, keptAs?: string): Effect.Effect<void> =>
    Effect.gen(function*() {
      yield* files.ensureSubdirectory(directory, "create quarantine directory")
      const name = keptAs ?? path.basename(file)
      const moving = path.join(directory, `.${name}.${randomSuffix()}.moving`)
      const claimed = yield* Effect.either(fs.rename(file, moving))
      if (claimed._tag === "Left") {
        // Another process moved (or removed) it first.
        if (internal.isNotFound(claimed.left)) return
        return yield* Effect.fail(internal.unavailable("move to quarantine", file)(claimed.left))
      }
      let target = moving
      for (let n = 1; n <= 1000; n++) {
        const candidate = path.join(directory, n === 1 ? name : `${name}~${n}`)
        const linked = yield* Effect.either(fs.link(moving, candidate))
        if (linked._tag === "Right") {
          yield* Effect.ignore(fs.remove(moving))
          target = candidate
          break
        }
        if (linked.left._tag === "SystemError" && linked.left.reason === "AlreadyExists") continue
        // No hard links on this file system: a rename onto a name that is free.
        if (Option.isNone(yield* files.statOf(candidate))) {
          const renamed = yield* Effect.either(fs.rename(moving, candidate))
          if (renamed._tag === "Right") target = candidate
        }
        break
      }
      yield* writeReason(target, reason)
      yield* Effect.logWarning(`${file} ${reason}; moved to ${target} (prune removes it)`)
    }).pipe(
      Effect.catchAll((error) => Effect.logWarning(`cannot move ${file} to quarantine (it ${reason}): ${error.description}`))
    )

  const list = Effect.gen(function*() {
    const state = yield* files.subdirectoryState(directory)
    if (state === "missing") return []
    if (state === "untrusted") {
      yield* Effect.logWarning(`skipping ${directory}: it is not a real directory (a link?)`)
      return []
    }
    const names = yield* fs.readDirectory(directory).pipe(
      Files.ignoreNotFound<ReadonlyArray<string>>([]),
      Effect.mapError(internal.unavailable("list quarantine", directory))
    )
    const present = new Set(names)
    const strays: Array<Stray> = []
    for (const name of [...names].sort()) {
      const reasonOnly = name.endsWith(REASON_SUFFIX)
      // A reason goes with its file; one whose file is gone is a stray of its own.
      if (reasonOnly && present.has(name.slice(0, -REASON_SUFFIX.length))) continue
      const file = path.join(directory, name)
      const stat = yield* files.statOf(file)
      // A directory in the quarantine is none of the store's making: left alone.
      if (Option.isNone(stat) || stat.value.type === "Directory") continue
      const reasonFile = reasonOnly || !present.has(name + REASON_SUFFIX) ? undefined : file + REASON_SUFFIX
      const reasonStat = reasonFile === undefined ? Option.none() : yield* files.fileStatOf(reasonFile)
      const reasonText = reasonFile === undefined
        ? Option.none<string>()
        : yield* Effect.orElseSucceed(files.readText(reasonFile, "read", "reason file"), () => Option.none<string>())
      const reason = reasonOnly
        ? "is the reason of a file no longer there"
        : name.startsWith(".") && name.endsWith(".moving")
        ? "is a file whose move into the quarantine was interrupted"
        : Option.match(reasonText, { onNone: () => "was set aside (no reason recorded)", onSome: firstLine })
      strays.push({
        file,
        original: reasonOnly ? name : name.replace(/~\d+$/, ""),
        reason,
        bytes: stat.value.size + Option.match(reasonStat, { onNone: () => 0, onSome: (s) => s.size }),
        paths: reasonFile === undefined ? [file] : [file, reasonFile]
      })
    }
    return strays as ReadonlyArray<Stray>
  })

  const remove = (strays: ReadonlyArray<Stray>) =>
    Effect.gen(function*() {
      for (const stray of strays) {
        for (const file of stray.paths) {
          yield* fs.remove(file).pipe(
            Files.ignoreNotFound<void>(undefined),
            Effect.mapError(internal.unavailable("remove", file))
          )
        }
      }
      // An empty quarantine goes too: a clean store holds its traces, blobs and caches only.
      if ((yield* files.subdirectoryState(directory)) !== "ok") return
      const left = yield* Effect.orElseSucceed(fs.readDirectory(directory), () => ["?"])
      if (left.length === 0) yield* Effect.ignore(fs.remove(directory, { recursive: true }))
    })

  return { directory, move, list, remove }
}
