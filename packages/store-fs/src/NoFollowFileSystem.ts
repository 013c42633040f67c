/**
 * File operations that never follow a symbolic link at the last component of a path. Everything the file system
 * store stats, reads, opens and chmods in its directory goes through this service, so that a link planted where the
 * store expects one of its files (`.index.jsonl -> /etc/passwd`) is seen as a link and refused: nothing is ever read
 * or written through it.
 *
 * A runtime's edge provides it atomically (Node: `lstat`, `O_NOFOLLOW`, `fchmod`; see the CLI's
 * `NodeNoFollowFileSystem.layer`). `make` builds a portable one over any `FileSystem` that asks `readLink` before it
 * acts: not atomic (a link swapped in between is followed), which is enough in a directory nobody else may write to
 * (the store checks its directory is its own and private), and is what the store falls back to when no layer
 * provides this service.
 */
import * as PlatformError from "@effect/platform/Error"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"

/** How `open` opens: `a` appends (creating the file), `wx` creates a file that must not exist. */
export type OpenFlag = "a" | "wx"

/** A file opened for writing. */
export interface Handle {
  /** Writes all the bytes (at the end, for a file opened with `a`). */
  readonly writeAll: (bytes: Uint8Array) => Effect.Effect<void, PlatformError.PlatformError>
  /** Flushes the file to the disk (fsync). */
  readonly sync: Effect.Effect<void, PlatformError.PlatformError>
}

/** The no-follow file operations; a refused link fails with a `SystemError` (reason `BadResource` on most runtimes). */
export class NoFollowFileSystem extends Context.Tag("@victor/store-fs/NoFollowFileSystem")<
  NoFollowFileSystem,
  {
    /** The entry itself (lstat): a symbolic link is `SymbolicLink`, with the link's own size and times. */
    readonly lstat: (path: string) => Effect.Effect<FileSystem.File.Info, PlatformError.PlatformError>
    /** A file's text (UTF-8); a link is refused, nothing is read through it, and a FIFO never makes it wait. */
    readonly readFileString: (path: string) => Effect.Effect<string, PlatformError.PlatformError>
    /** Opens a regular file for writing, never through a link; the file then has exactly `mode` (not umask'ed). */
    readonly open: (
      path: string,
      options: { readonly flag: OpenFlag; readonly mode: number }
    ) => Effect.Effect<Handle, PlatformError.PlatformError, Scope.Scope>
    /** Sets the mode of a file or directory, never of what a link points at. */
    readonly chmod: (path: string, mode: number) => Effect.Effect<void, PlatformError.PlatformError>
  }
>() {}

// What `readLink` knows of a link: only that it is one.
const linkInfo: FileSystem.File.Info = {
  type: "SymbolicLink",
  mtime: Option.none(),
  atime: Option.none(),
  birthtime: Option.none(),
  dev: 0,
  ino: Option.none(),
  mode: 0o777,
  nlink: Option.none(),
  uid: Option.none(),
  gid: Option.none(),
  rdev: Option.none(),
  size: FileSystem.Size(0),
  blksize: Option.none(),
  blocks: Option.none()
}

const refused = (method: string, path: string, type: FileSystem.File.Type) =>
  new PlatformError.SystemError({
    module: "FileSystem",
    method,
    reason: "BadResource",
    pathOrDescriptor: path,
    description: type === "SymbolicLink" ? "is a symbolic link (not followed)" : "is not a regular file"
  })

const isNotFound = (error: PlatformError.PlatformError) => error._tag === "SystemError" && error.reason === "NotFound"

/** The portable one, over any `FileSystem`: checks with `readLink` / `stat` before acting (not atomic). */
export const make = (fs: FileSystem.FileSystem): NoFollowFileSystem["Type"] => {
  const lstat = (path: string): Effect.Effect<FileSystem.File.Info, PlatformError.PlatformError> =>
    Effect.matchEffect(fs.readLink(path), {
      onSuccess: () => Effect.succeed(linkInfo),
      // Not a link (EINVAL) or unsupported: what it is.
      onFailure: (error) => (isNotFound(error) ? Effect.fail(error) : fs.stat(path))
    })
  /** Fails unless the path is of an accepted type (or missing, when `missing` is fine). */
  const expect = (method: string, path: string, accepted: ReadonlyArray<FileSystem.File.Type>, missing: boolean) =>
    Effect.matchEffect(lstat(path), {
      onSuccess: (info) => (accepted.includes(info.type) ? Effect.void : Effect.fail(refused(method, path, info.type))),
      onFailure: (error) => (missing && isNotFound(error) ? Effect.void : Effect.fail(error))
    })
  return NoFollowFileSystem.of({
    lstat,
    readFileString: (path) => Effect.zipRight(expect("readFile", path, ["File"], false), fs.readFileString(path)),
    open: (path, options) =>
      Effect.gen(function*() {
        yield* expect("open", path, ["File"], true)
        const file = yield* fs.open(path, { flag: options.flag, mode: options.mode })
        // The mode given to open is filtered by the umask.
        yield* fs.chmod(path, options.mode)
        // Nothing to write is not a failed write (as the platform's `writeAll` would have it).
        return { writeAll: (bytes) => (bytes.length === 0 ? Effect.void : file.writeAll(bytes)), sync: file.sync }
      }),
    chmod: (path, mode) => Effect.zipRight(expect("chmod", path, ["File", "Directory"], false), fs.chmod(path, mode))
  })
}
