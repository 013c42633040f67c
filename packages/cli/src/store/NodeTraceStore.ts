/**
 * The trace store of the `victor` process on Node: the file system store, stamped with this process's pid and host
 * so that other `victor` processes can tell its running traces from dead ones (`process.kill(pid, 0)`).
 */
import * as PlatformError from "@effect/platform/Error"
import * as FileSystem from "@effect/platform/FileSystem"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodePath from "@effect/platform-node/NodePath"
import type * as Payload from "@victor/core/Payload"
import type * as TraceStore from "@victor/core/TraceStore"
import * as FileSystemTraceStore from "@victor/store-fs/FileSystemTraceStore"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as NodeFs from "node:fs"
import * as os from "node:os"

/** Whether a process of this host exists: signal 0 checks without sending anything; EPERM means it exists. */
const isProcessAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM"
  }
}

// As `NodeFileSystem` names them.
const reasons: Partial<Record<string, PlatformError.SystemErrorReason>> = {
  ENOENT: "NotFound",
  EACCES: "PermissionDenied",
  EEXIST: "AlreadyExists",
  EISDIR: "BadResource",
  ENOTDIR: "BadResource",
  ELOOP: "BadResource",
  EBUSY: "Busy"
}

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

// `NodeFileSystem` with a synchronous `stat`: a listing stats every trace file (to notice one changed behind the
// store's back), and one `statSync` costs a fraction of a round trip through libuv's thread pool (10,000 files: about
// 100 ms against 300 ms on a 2-CPU machine, where the pool's threads compete with the main one).
const layerFileSystem = Layer.effect(
  FileSystem.FileSystem,
  Effect.map(FileSystem.FileSystem, (fs): FileSystem.FileSystem => ({
    ...fs,
    stat: (path) =>
      Effect.try({
        try: () => infoOf(NodeFs.statSync(path)),
        catch: (error) => {
          const cause = error as NodeJS.ErrnoException
          return new PlatformError.SystemError({
            module: "FileSystem",
            method: "stat",
            reason: reasons[cause.code ?? ""] ?? "Unknown",
            pathOrDescriptor: path,
            ...(cause.syscall === undefined ? {} : { syscall: cause.syscall }),
            description: cause.message,
            cause
          })
        }
      })
  }))
).pipe(Layer.provide(NodeFileSystem.layer))

/** The store in `directory`, owned by this process, on Node's file system. */
export const layer = (options: {
  readonly directory: string
  readonly capture?: Payload.CaptureOptions
}): Layer.Layer<TraceStore.TraceStore> =>
  FileSystemTraceStore.layer({
    directory: options.directory,
    owner: { pid: process.pid, host: os.hostname() },
    isProcessAlive,
    ...(options.capture === undefined ? {} : { capture: options.capture })
  }).pipe(Layer.provide(Layer.merge(layerFileSystem, NodePath.layer)))
