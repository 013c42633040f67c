/**
 * Writes an export where `-o` says, without ever turning something that is not a regular file into one:
 * - `-` (or `/dev/stdout`): standard output, which then carries only the export;
 * - a missing path or a regular file: streamed into a temporary file beside it and renamed over it, so a reader never
 *   sees half a file and a failed export leaves nothing behind (missing parent directories are created);
 * - a symbolic link: followed, and its target replaced the same way (a dangling link creates its target);
 * - a character device or a FIFO (`/dev/null`, a named pipe): opened and written to, never replaced;
 * - anything else (a directory, a socket, a block device): a usage error.
 * Devices and pipes are written with `node:fs` at the current position (the platform `File` writes at an offset, which
 * a pipe refuses); this module is part of the CLI, Victor's Node edge.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import { isPlatformError, type PlatformError } from "@effect/platform/Error"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import * as NodeFs from "node:fs/promises"
import { UsageError } from "./CliError.ts"

// What the errno codes a write can meet mean, in words (the platform maps only a few of them to a reason).
const errnoText: Record<string, string> = {
  ENOSPC: "no space left on device",
  EDQUOT: "disk quota exceeded",
  EROFS: "read-only file system",
  EPIPE: "the reader closed the pipe",
  EIO: "input/output error",
  EFBIG: "file too large",
  ENXIO: "no such device or address",
  ENODEV: "no such device",
  EXDEV: "not on the same file system",
  ELOOP: "too many levels of symbolic links",
  ENOTDIR: "a part of the path is not a directory",
  EISDIR: "it is a directory",
  EBADF: "not open for writing",
  EPERM: "operation not permitted",
  EACCES: "permission denied",
  ENOENT: "no such file or directory",
  ENAMETOOLONG: "file name too long"
}

const errnoOf = (cause: unknown): string | undefined =>
  typeof cause === "object" && cause !== null && "code" in cause && typeof cause.code === "string"
    ? cause.code
    : undefined

/** A platform error in a few words, without the path (the caller names it). */
const describePlatformError = (error: PlatformError): string => {
  const code = errnoOf(error.cause)
  if (code !== undefined && errnoText[code] !== undefined) return errnoText[code]
  if (error._tag !== "SystemError") return error.message
  switch (error.reason) {
    case "NotFound":
      return "no such file or directory"
    case "PermissionDenied":
      return "permission denied"
    case "AlreadyExists":
      return "already exists"
    case "Busy":
      return "resource busy"
    case "TimedOut":
      return "timed out"
    case "WriteZero":
      return "nothing could be written"
    default:
      // Node's message reads "ECODE: what happened, syscall 'path'": keep what happened.
      return /^[A-Z0-9_]+: ([^,]+)/.exec(error.description ?? "")?.[1] ?? error.description ?? error.message
  }
}

/** Whether `-o` names standard output: `-`, or `/dev/stdout` (the export then owns stdout). */
export const isStdout = (target: string): boolean => target === "-" || target === "/dev/stdout"

/** Where an export goes, once links are followed and the kind of file is known. */
type Destination =
  | { readonly _tag: "Stdout" }
  /** Opened and written in place: a character device, a FIFO, or what a `/proc` fd link stands for. */
  | { readonly _tag: "Direct"; readonly path: string }
  /** Written to a temporary file beside `path` and renamed over it; `mode` keeps the permissions of a file replaced. */
  | { readonly _tag: "Replace"; readonly path: string; readonly mode: number | undefined }

const kindNames: Partial<Record<FileSystem.File.Type, string>> = {
  Socket: "a socket",
  BlockDevice: "a block device",
  Unknown: "not a regular file"
}

// Symbolic links followed before giving up, as the kernel does (ELOOP).
const maxLinks = 40

const plan = (target: string): Effect.Effect<Destination, UsageError, FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function*() {
    if (isStdout(target)) return { _tag: "Stdout" } as const
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const absolute = path.resolve(target)
    let current = absolute
    for (let links = 0;; links++) {
      // The kernel's fd links (`/dev/stderr`, `/dev/fd/N` lead there) name open files, not paths to replace.
      if (current.startsWith("/proc/")) return { _tag: "Direct", path: current } as const
      const link = yield* Effect.either(fs.readLink(current))
      if (link._tag === "Left") break
      if (links === maxLinks) {
        return yield* new UsageError({ description: `cannot write ${absolute}: too many levels of symbolic links` })
      }
      current = path.resolve(path.dirname(current), link.right)
    }
    const info = yield* Effect.option(fs.stat(current))
    if (info._tag === "None") return { _tag: "Replace", path: current, mode: undefined } as const
    switch (info.value.type) {
      case "File":
        return { _tag: "Replace", path: current, mode: info.value.mode & 0o777 } as const
      case "CharacterDevice":
      case "FIFO":
        return { _tag: "Direct", path: current } as const
      case "Directory":
        return yield* new UsageError({
          description: `cannot write ${absolute}: it is a directory; give a file name, e.g. -o ${
            path.join(target, "trace.json")
          }`
        })
      default:
        return yield* new UsageError({
          description: `cannot write ${absolute}: it is ${kindNames[info.value.type] ?? "not a regular file"}; ` +
            "-o takes a file, a character device such as /dev/null, a FIFO, or - for stdout"
        })
    }
  })

/**
 * Checks, before any work is done, that `target` can take an export: fails with the same one-line `UsageError` that
 * `write` would give for a directory, a socket or a block device.
 */
export const check = (target: string): Effect.Effect<void, UsageError, FileSystem.FileSystem | Path.Path> =>
  Effect.asVoid(plan(target))

// Once stdout's reader has gone (`| head`), Node reports EPIPE as an "error" event: without a listener, a crash.
let stdoutBroken = false
let stdoutWatched = false
const watchStdout = () => {
  if (stdoutWatched) return
  stdoutWatched = true
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") stdoutBroken = true
  })
}

const writeStdoutChunk = (chunk: Uint8Array): Effect.Effect<boolean, UsageError> =>
  Effect.async<boolean, UsageError>((resume) => {
    if (stdoutBroken) return resume(Effect.succeed(false))
    process.stdout.write(chunk, (error) => {
      if (error === undefined || error === null) return resume(Effect.succeed(true))
      const code = errnoOf(error)
      // The reader took what it wanted and left, as with any Unix tool in a pipe: stop quietly.
      if (code === "EPIPE") {
        stdoutBroken = true
        return resume(Effect.succeed(false))
      }
      resume(Effect.fail(
        new UsageError({
          description: `cannot write the export to stdout: ${(code && errnoText[code]) ?? error.message}`
        })
      ))
    })
  })

const inPlaceFailure = (file: string) => (error: unknown): UsageError => {
  const code = errnoOf(error)
  return new UsageError({
    description: `cannot write ${file}: ${
      (code && errnoText[code]) ?? (error instanceof Error ? error.message : String(error))
    }`
  })
}

/** Writes to an existing device or FIFO where it stands, at its current position. */
const writeInPlace = <E>(file: string, bytes: Stream.Stream<Uint8Array, E>): Effect.Effect<void, E | UsageError> =>
  Effect.acquireUseRelease(
    Effect.tryPromise({ try: () => NodeFs.open(file, "w"), catch: inPlaceFailure(file) }),
    (handle) =>
      Stream.runForEach(bytes, (chunk) =>
        Effect.tryPromise({
          try: async () => {
            for (let offset = 0; offset < chunk.length;) {
              const { bytesWritten } = await handle.write(chunk, offset, chunk.length - offset)
              if (bytesWritten === 0) throw new Error("nothing could be written")
              offset += bytesWritten
            }
          },
          catch: inPlaceFailure(file)
        })),
    (handle) => Effect.promise(() => handle.close().catch(() => undefined))
  )

/** Streams `bytes` into `target` (see the module header); returns the number of bytes written. */
export const write = <E>(
  target: string,
  bytes: Stream.Stream<Uint8Array, E>
): Effect.Effect<number, E | UsageError, FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function*() {
    const destination = yield* plan(target)
    let size = 0
    const counted = Stream.map(bytes, (chunk) => {
      size += chunk.length
      return chunk
    })
    if (destination._tag === "Stdout") {
      watchStdout()
      yield* Stream.runForEachWhile(counted, writeStdoutChunk)
      return size
    }
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const fail = (what: string, file: string) => (error: PlatformError) =>
      new UsageError({ description: `cannot ${what} ${file}: ${describePlatformError(error)}` })
    const platformFailure = (file: string) => (error: E | PlatformError): E | UsageError =>
      isPlatformError(error) ? fail("write", file)(error) : error

    if (destination._tag === "Direct") {
      // Never replaced or renamed over: the device or pipe takes the bytes (opening a FIFO waits for its reader).
      yield* writeInPlace(destination.path, counted)
      return size
    }
    const file = destination.path
    const directory = path.dirname(file)
    yield* fs.makeDirectory(directory, { recursive: true }).pipe(Effect.mapError(fail("create the directory of", file)))
    // `wx`: the temporary name is new, and never a link planted in its place; a replaced file's mode from the start.
    const temporary = path.join(directory, `.${path.basename(file)}.${globalThis.crypto.randomUUID()}.tmp`)
    const mode = destination.mode === undefined ? {} : { mode: destination.mode }
    return yield* Stream.run(counted, fs.sink(temporary, { flag: "wx", ...mode })).pipe(
      Effect.zipRight(destination.mode === undefined ? Effect.void : fs.chmod(temporary, destination.mode)),
      Effect.zipRight(fs.rename(temporary, file)),
      Effect.mapError(platformFailure(file)),
      Effect.zipRight(Effect.sync(() => size)),
      Effect.onError(() => Effect.ignore(fs.remove(temporary)))
    )
  })
