/** A Node file-system error as the `SystemError` that `NodeFileSystem` would make of it. */
import * as PlatformError from "@effect/platform/Error"

// As `NodeFileSystem` names them.
const reasons: Partial<Record<string, PlatformError.SystemErrorReason>> = {
  ENOENT: "NotFound",
  EACCES: "PermissionDenied",
  EPERM: "PermissionDenied",
  EEXIST: "AlreadyExists",
  EISDIR: "BadResource",
  ENOTDIR: "BadResource",
  ELOOP: "BadResource",
  EMLINK: "BadResource",
  ENXIO: "BadResource",
  EBUSY: "Busy"
}

export const systemError = (method: string, path: string) => (error: unknown): PlatformError.PlatformError => {
  if (error instanceof PlatformError.SystemError) return error
  const cause = error as NodeJS.ErrnoException
  return new PlatformError.SystemError({
    module: "FileSystem",
    method,
    reason: reasons[cause.code ?? ""] ?? "Unknown",
    pathOrDescriptor: path,
    ...(cause.syscall === undefined ? {} : { syscall: cause.syscall }),
    description: cause.message,
    cause
  })
}
