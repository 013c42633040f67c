/**
 * The file operations every part of the file system store shares, none of which follows a symbolic link: what is at
 * a path (lstat), a file's text (a no-follow open), and the private subdirectories of the store (`blobs/`,
 * `quarantine/`), made real directories of mode 0700 before anything is put in them.
 */
import * as PlatformError from "@effect/platform/Error"
import type * as FileSystem from "@effect/platform/FileSystem"
import type * as Path from "@effect/platform/Path"
import type * as TraceStore from "@victor/core/TraceStore"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as NoFollowFileSystem from "../NoFollowFileSystem.ts"
import * as internal from "./traceFiles.ts"

/** A file's size, mtime and type, as lstat gives them (a link's own). */
export interface Stat {
  readonly size: number
  readonly mtime: number
  readonly type: FileSystem.File.Type
}

/** How the store says it skipped a link. */
export const LINK_PROBLEM = "is a symbolic link, which the store does not follow"

const mtimeOf = (info: FileSystem.File.Info): number =>
  Option.getOrElse(Option.map(info.mtime, (d) => d.getTime()), () => 0)

/** The size, mtime and type of lstat's answer. */
export const statFrom = (info: FileSystem.File.Info): Stat => ({
  size: Number(info.size),
  mtime: mtimeOf(info),
  type: info.type
})

/** The state of a subdirectory of the store: missing, a real directory, or something else (a link, a file). */
export type SubdirectoryState = "missing" | "ok" | "untrusted"

/** The shared operations, over one store directory. */
export interface StoreFiles {
  readonly fs: FileSystem.FileSystem
  readonly path: Path.Path
  readonly nofollow: NoFollowFileSystem.NoFollowFileSystem["Type"]
  readonly directory: string
  /** What is at a path, itself (never what a link points at); none when nothing is there or it cannot be seen. */
  readonly statOf: (file: string) => Effect.Effect<Option.Option<Stat>>
  /** The size and mtime of a regular file; none for anything else (gone, a link, a directory). */
  readonly fileStatOf: (file: string) => Effect.Effect<Option.Option<Stat>>
  /** A file's text, or none when it no longer exists; a link is refused (`Insecure`). */
  readonly readText: (
    file: string,
    what?: string,
    kind?: string
  ) => Effect.Effect<Option.Option<string>, TraceStore.TraceStoreError>
  /** Whether a subdirectory is a real directory (to read from); a link is never listed. */
  readonly subdirectoryState: (directory: string) => Effect.Effect<SubdirectoryState>
  /**
   * A subdirectory, ready for a file: a link or a file in its place is removed (it is inside the store; what a link
   * points at is left alone) and a real directory made, 0700.
   */
  readonly ensureSubdirectory: (directory: string, what: string) => Effect.Effect<void, TraceStore.TraceStoreError>
}

/** Succeeds with `fallback` when the path does not exist. */
export const ignoreNotFound = <A>(fallback: A) => <R>(effect: Effect.Effect<A, PlatformError.PlatformError, R>) =>
  Effect.catchIf(effect, internal.isNotFound, () => Effect.succeed(fallback))

/** The shared operations over a store directory. */
export const make = (
  fs: FileSystem.FileSystem,
  path: Path.Path,
  nofollow: NoFollowFileSystem.NoFollowFileSystem["Type"],
  directory: string
): StoreFiles => {
  const statOf = (file: string): Effect.Effect<Option.Option<Stat>> =>
    nofollow.lstat(file).pipe(
      Effect.map((info) => Option.some(statFrom(info))),
      Effect.orElseSucceed(() => Option.none<Stat>())
    )

  const fileStatOf = (file: string) => Effect.map(statOf(file), Option.filter((stat) => stat.type === "File"))

  /**
   * Why a file the store failed to read or open is not to be trusted, when that is why: it is a link (refused by the
   * no-follow open) or not a regular file.
   */
  const distrust = (file: string, what: string): Effect.Effect<Option.Option<TraceStore.TraceStoreError>> =>
    Effect.map(statOf(file), (stat) =>
      Option.isNone(stat) || stat.value.type === "File"
        ? Option.none()
        : Option.some(internal.untrusted(
          file,
          stat.value.type === "SymbolicLink" ? LINK_PROBLEM : `is not a regular file (${stat.value.type})`,
          what
        )))

  const readText = (
    file: string,
    what = "read trace",
    kind = "trace file"
  ): Effect.Effect<Option.Option<string>, TraceStore.TraceStoreError> =>
    nofollow.readFileString(file).pipe(
      Effect.map(Option.some),
      ignoreNotFound(Option.none<string>()),
      Effect.catchAll((error) =>
        Effect.flatMap(
          distrust(file, kind),
          Option.match({ onNone: () => Effect.fail(internal.unavailable(what, file)(error)), onSome: Effect.fail })
        )
      )
    )

  const subdirectoryState = (sub: string): Effect.Effect<SubdirectoryState> =>
    Effect.map(statOf(sub), (stat) =>
      Option.isNone(stat) ? "missing" as const : stat.value.type === "Directory" ? "ok" as const : "untrusted" as const)

  const ensureSubdirectory = (sub: string, what: string) =>
    Effect.gen(function*() {
      const stat = yield* statOf(sub)
      if (Option.isSome(stat)) {
        if (stat.value.type === "Directory") return
        yield* fs.remove(sub)
      }
      yield* fs.makeDirectory(sub, { mode: 0o700 }).pipe(
        Effect.catchIf((e) => e._tag === "SystemError" && e.reason === "AlreadyExists", () => Effect.void)
      )
      const made = yield* nofollow.lstat(sub)
      if (made.type !== "Directory") {
        return yield* new PlatformError.SystemError({
          module: "FileSystem",
          method: "makeDirectory",
          reason: "BadResource",
          pathOrDescriptor: sub,
          description: "not a directory"
        })
      }
      if ((made.mode & 0o777) !== 0o700) yield* nofollow.chmod(sub, 0o700)
    }).pipe(Effect.mapError(internal.unavailable(what, sub)))

  return { fs, path, nofollow, directory, statOf, fileStatOf, readText, subdirectoryState, ensureSubdirectory }
}
