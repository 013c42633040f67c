/**
 * The trace store of the `victor` process on Node: the file system store, stamped with this process's pid and host
 * so that other `victor` processes can tell its running traces from dead ones (`process.kill(pid, 0)`), with Node's
 * no-follow file operations (`O_NOFOLLOW`, `lstat`) and this process's uid, so that it follows no link and refuses a
 * directory of another user.
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodePath from "@effect/platform-node/NodePath"
import type * as Payload from "@victor/core/Payload"
import type * as StoreServices from "@victor/core/StoreServices"
import type * as TraceStore from "@victor/core/TraceStore"
import * as FileSystemTraceStore from "@victor/store-fs/FileSystemTraceStore"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as os from "node:os"
import * as NodeNoFollowFileSystem from "./NodeNoFollowFileSystem.ts"
import { UsageError } from "../CliError.ts"
import * as StoreLocation from "./StoreLocation.ts"

/** Whether a process of this host exists: signal 0 checks without sending anything; EPERM means it exists. */
export const isProcessAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM"
  }
}

/** Where a store of this process keeps its traces, and how. */
interface NodeOptions {
  readonly directory: string
  readonly capture?: Payload.CaptureOptions
}

const storeOptions = (options: NodeOptions): FileSystemTraceStore.Options => {
  // Not on Windows, where a directory's owner and mode say little.
  const userId = typeof process.getuid === "function" ? process.getuid() : undefined
  return {
    directory: options.directory,
    owner: { pid: process.pid, host: os.hostname() },
    isProcessAlive,
    ...(userId === undefined ? {} : { userId }),
    ...(options.capture === undefined ? {} : { capture: options.capture })
  }
}

const nodeLayers = Layer.mergeAll(NodeFileSystem.layer, NodePath.layer, NodeNoFollowFileSystem.layer)

/** The store in `directory`, owned by this process, on Node's file system. */
export const layer = (options: NodeOptions): Layer.Layer<StoreServices.StoreServices> =>
  FileSystemTraceStore.layer(storeOptions(options)).pipe(Layer.provide(nodeLayers))

/**
 * The store, its directory checked (and created) first: a link, a directory of another user, or a path where none
 * can be made fails the layer (see `FileSystemTraceStore.layerPrepared`). For a run, before anything runs.
 */
export const layerPrepared = (
  options: NodeOptions
): Layer.Layer<StoreServices.StoreServices, TraceStore.TraceStoreError> =>
  FileSystemTraceStore.layerPrepared(storeOptions(options)).pipe(Layer.provide(nodeLayers))

/**
 * The store at a location: the file system store in a directory (`prepared`: its directory checked and created when
 * the layer is built, as a run wants), or the SQL store in a PostgreSQL database, whose code is loaded only then.
 */
export const layerAt = (
  location: StoreLocation.StoreLocation,
  options: { readonly capture?: Payload.CaptureOptions; readonly prepared?: boolean } = {}
): Layer.Layer<StoreServices.StoreServices, TraceStore.TraceStoreError> => {
  const capture = options.capture === undefined ? {} : { capture: options.capture }
  if (location._tag === "Directory") {
    return options.prepared === true
      ? layerPrepared({ directory: location.path, ...capture })
      : layer({ directory: location.path, ...capture })
  }
  return Layer.unwrapEffect(
    Effect.map(
      Effect.promise(() => import("@victor/store-sql/SqlTraceStore")),
      (SqlTraceStore) => SqlTraceStore.layer({ url: location.url, ...capture })
    )
  )
}

/** The store at a location for a command: one that cannot be opened is a usage error (one line, exit 2). */
export const layerForCommand = (
  location: StoreLocation.StoreLocation,
  options: { readonly prepared?: boolean } = {}
): Layer.Layer<StoreServices.StoreServices, UsageError> =>
  layerAt(location, options).pipe(Layer.mapError((error) => new UsageError({ description: error.message })))

/** The store `--store` (or its defaults, see `StoreLocation.resolve`) names, for a command. */
export const layerOfFlag = (flag: string | undefined) =>
  Layer.unwrapEffect(Effect.map(StoreLocation.resolve(flag), (location) => layerForCommand(location)))
