/**
 * The store's directory, checked before it is used: a real directory, not a link (following one and checking its
 * target would still trust whoever could write where the link lives); with `userId`, one of this user, made private
 * (0700) when others may use it. Created (0700) by the first write; a directory not there yet lists as empty.
 */
import * as TraceStore from "@victor/core/TraceStore"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Files from "./storeFiles.ts"
import * as internal from "./traceFiles.ts"

/** The store's directory, checked once and then trusted by this store. */
export interface StoreDirectory {
  /** Checks the directory before a write, creating it (0700) when missing. */
  readonly ensure: Effect.Effect<boolean, TraceStore.TraceStoreError>
  /** The directory's entries; a directory that does not exist yet is empty. */
  readonly readNames: Effect.Effect<ReadonlyArray<string>, TraceStore.TraceStoreError>
}

/** The directory of the store the files are of; `userId`: the user this process runs as, when known. */
export const make = (files: Files.StoreFiles, userId: number | undefined): StoreDirectory => {
  const { directory, fs, nofollow } = files

  // Set once the directory was found to be a real directory of ours, private: not checked again by this store.
  let trusted = false

  /**
   * Checks the store's directory before it is used, creating it (0700) with `create`; whether it exists. A link is
   * refused, a directory of another user too (with `userId`); one of ours open to others is made 0700, with a
   * warning when reading (`list` and co.). Writes log nothing: a run's stdout may be machine output, and a program
   * that runs workflows does not always send the log elsewhere.
   */
  const trust = (create: boolean, what: string): Effect.Effect<boolean, TraceStore.TraceStoreError> =>
    Effect.suspend(() => trusted ? Effect.succeed(true) : Effect.gen(function*() {
      const found = yield* nofollow.lstat(directory).pipe(Effect.map(Option.some), Files.ignoreNotFound(Option.none()))
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
      const me = userId
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

  const ensure = trust(true, "create trace directory")

  const readNames: Effect.Effect<ReadonlyArray<string>, TraceStore.TraceStoreError> = Effect.flatMap(
    trust(false, "list traces in"),
    (exists) =>
      exists
        ? fs.readDirectory(directory).pipe(
          Files.ignoreNotFound<ReadonlyArray<string>>([]),
          Effect.mapError(internal.unavailable("list traces in", directory))
        )
        : Effect.succeed([])
  )

  return { ensure, readNames }
}
