/**
 * Writes an export to a path: streamed into a temporary file beside the target and renamed over it, so a reader
 * never sees half a file and a failed export leaves nothing behind. Missing parent directories are created.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import { isPlatformError, type PlatformError } from "@effect/platform/Error"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { UsageError } from "./CliError.ts"

const describePlatformError = (error: PlatformError): string =>
  error._tag === "SystemError"
    ? ({
      NotFound: "no such file or directory",
      PermissionDenied: "permission denied",
      AlreadyExists: "already exists",
      BadResource: "not a regular file or directory",
      Busy: "resource busy",
      InvalidData: "invalid data",
      TimedOut: "timed out",
      UnexpectedEof: "unexpected end of file",
      Unknown: error.message,
      WouldBlock: "would block",
      WriteZero: "nothing could be written"
    } as const)[error.reason]
    : error.message

/** Streams `bytes` into `target`; returns the number of bytes written. */
export const write = <E>(
  target: string,
  bytes: Stream.Stream<Uint8Array, E>
): Effect.Effect<number, E | UsageError, FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const absolute = path.resolve(target)
    const fail = (what: string) => (error: PlatformError) =>
      new UsageError({ description: `cannot ${what} ${absolute}: ${describePlatformError(error)}` })

    const existing = yield* Effect.option(fs.stat(absolute))
    if (existing._tag === "Some" && existing.value.type === "Directory") {
      return yield* new UsageError({
        description: `cannot write ${absolute}: it is a directory; give a file name, e.g. -o ${path.join(target, "trace.json")}`
      })
    }
    const directory = path.dirname(absolute)
    yield* fs.makeDirectory(directory, { recursive: true }).pipe(Effect.mapError(fail("create the directory of")))
    const temporary = path.join(directory, `.${path.basename(absolute)}.${globalThis.crypto.randomUUID()}.tmp`)
    let size = 0
    const counted = Stream.map(bytes, (chunk) => {
      size += chunk.length
      return chunk
    })
    return yield* Stream.run(counted, fs.sink(temporary)).pipe(
      Effect.mapError((error) => (isPlatformError(error) ? fail("write")(error) : error)),
      Effect.zipRight(fs.rename(temporary, absolute).pipe(Effect.mapError(fail("write")))),
      Effect.zipRight(Effect.sync(() => size)),
      Effect.onError(() => Effect.ignore(fs.remove(temporary)))
    )
  })
