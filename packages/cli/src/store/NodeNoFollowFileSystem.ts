/**
 * `NoFollowFileSystem` on Node: the store's files are stat'ed with `lstat`, opened with `O_NOFOLLOW` (a link at the
 * last component fails the open with ELOOP, atomically: no window between a check and the open) and `O_NONBLOCK` (a
 * FIFO planted in the store cannot make a read or a write wait), checked to be regular files on the descriptor when
 * opened for writing, and chmod'ed through a descriptor (`fchmod`), so that a created file has exactly its mode
 * whatever the umask.
 */
import * as PlatformError from "@effect/platform/Error"
import * as FileSystem from "@effect/platform/FileSystem"
import * as NoFollowFileSystem from "@victor/store-fs/NoFollowFileSystem"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as NodeFs from "node:fs"
import { systemError } from "../internal/nodeSystemError.ts"

const { O_APPEND, O_CREAT, O_EXCL, O_RDONLY, O_WRONLY } = NodeFs.constants
// Not on Windows: there the type is checked with lstat before the open (not atomic).
const O_NOFOLLOW = NodeFs.constants.O_NOFOLLOW ?? 0
const O_NONBLOCK = NodeFs.constants.O_NONBLOCK ?? 0

const openFlags: Record<NoFollowFileSystem.OpenFlag, number> = {
  a: O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK,
  wx: O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NONBLOCK
}

const notRegular = (method: string, path: string) =>
  new PlatformError.SystemError({
    module: "FileSystem",
    method,
    reason: "BadResource",
    pathOrDescriptor: path,
    description: "not a regular file"
  })

const typeOf = (s: NodeFs.Stats): FileSystem.File.Type =>
  s.isFile()
    ? "File"
    : s.isDirectory()
    ? "Directory"
    : s.isSymbolicLink()
    ? "SymbolicLink"
    : s.isBlockDevice()
    ? "BlockDevice"
    : s.isCharacterDevice()
    ? "CharacterDevice"
    : s.isFIFO()
    ? "FIFO"
    : s.isSocket()
    ? "Socket"
    : "Unknown"

/** A file's `FileSystem` info from Node's stats, as `NodeFileSystem` makes it. */
const infoOf = (s: NodeFs.Stats): FileSystem.File.Info => ({
  type: typeOf(s),
  mtime: Option.some(s.mtime),
  atime: Option.some(s.atime),
  birthtime: Option.some(s.birthtime),
  dev: s.dev,
  ino: Option.some(s.ino),
  mode: s.mode,
  nlink: Option.some(s.nlink),
  uid: Option.some(s.uid),
  gid: Option.some(s.gid),
  rdev: Option.some(s.rdev),
  size: FileSystem.Size(s.size),
  blksize: Option.some(FileSystem.Size(s.blksize)),
  blocks: Option.some(s.blocks)
})

// Without O_NOFOLLOW (Windows), a link is refused by looking first.
const refuseLinkFirst = (path: string) => {
  if (O_NOFOLLOW !== 0) return
  try {
    if (NodeFs.lstatSync(path).isSymbolicLink()) {
      throw Object.assign(new Error(`ELOOP: a symbolic link, open '${path}'`), { code: "ELOOP", syscall: "open" })
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error
  }
}

/** Opens without following a link at the last component, and fails unless it opened what `accept` accepts. */
const openChecked = async (
  method: string,
  path: string,
  flags: number,
  accept: (stats: NodeFs.Stats) => boolean,
  mode?: number
): Promise<NodeFs.promises.FileHandle> => {
  refuseLinkFirst(path)
  const handle = await NodeFs.promises.open(path, flags, mode)
  try {
    if (!accept(await handle.stat())) throw notRegular(method, path)
    return handle
  } catch (error) {
    await handle.close().catch(() => undefined)
    throw error
  }
}

const isFile = (stats: NodeFs.Stats) => stats.isFile()

const make = NoFollowFileSystem.NoFollowFileSystem.of({
  // Synchronous: a listing lstats every trace file, and one `lstatSync` costs a fraction of a round trip through
  // libuv's thread pool (10,000 files: about 100 ms against 300 ms on a 2-CPU machine).
  lstat: (path) =>
    Effect.try({ try: () => infoOf(NodeFs.lstatSync(path)), catch: systemError("lstat", path) }),
  // One `readFile` with the flags: as fast as a plain one (an open, fstat, read, close by hand costs about a third
  // more over thousands of files). A FIFO reads as empty at once (O_NONBLOCK, no writer); a directory fails (EISDIR).
  readFileString: (path) =>
    Effect.tryPromise({
      try: () => {
        refuseLinkFirst(path)
        return NodeFs.promises.readFile(path, { encoding: "utf8", flag: O_RDONLY | O_NOFOLLOW | O_NONBLOCK })
      },
      catch: systemError("readFile", path)
    }),
  open: (path, options) =>
    Effect.map(
      Effect.acquireRelease(
        Effect.tryPromise({
          try: async () => {
            const handle = await openChecked("open", path, openFlags[options.flag], isFile, options.mode)
            try {
              // The mode given to open is filtered by the umask; set through the descriptor, never a path.
              await handle.chmod(options.mode)
              return handle
            } catch (error) {
              await handle.close().catch(() => undefined)
              throw error
            }
          },
          catch: systemError("open", path)
        }),
        (handle) => Effect.ignore(Effect.tryPromise(() => handle.close()))
      ),
      (handle): NoFollowFileSystem.Handle => ({
        writeAll: (bytes) =>
          Effect.tryPromise({
            try: async () => {
              let offset = 0
              while (offset < bytes.length) {
                const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset)
                if (bytesWritten === 0) {
                  throw Object.assign(new Error("ENOSPC: nothing could be written, write"), { code: "ENOSPC" })
                }
                offset += bytesWritten
              }
            },
            catch: systemError("write", path)
          }),
        sync: Effect.tryPromise({ try: () => handle.sync(), catch: systemError("sync", path) })
      })
    ),
  chmod: (path, mode) =>
    Effect.tryPromise({
      try: async () => {
        const handle = await openChecked(
          "chmod",
          path,
          O_RDONLY | O_NOFOLLOW | O_NONBLOCK,
          (stats) => stats.isFile() || stats.isDirectory()
        )
        try {
          await handle.chmod(mode)
        } finally {
          await handle.close().catch(() => undefined)
        }
      },
      catch: systemError("chmod", path)
    })
})

/** The no-follow file operations of Node. */
export const layer: Layer.Layer<NoFollowFileSystem.NoFollowFileSystem> = Layer.succeed(
  NoFollowFileSystem.NoFollowFileSystem,
  make
)
