/**
 * The platform every command runs with: `NodeContext.layer` without its worker manager (no command uses it; its
 * modules only cost start-up), and a `FileSystem` whose `realPath` is the system's realpath(3) (Node's
 * `fs.realpath.native`). `NodeFileSystem`'s is Node's JavaScript realpath, which lstat's each component of the path
 * in turn, and the file tools resolve every path they touch to keep to their allowed directories: `grep` over this
 * repository's packages resolves 430 paths, about 2,500 round trips to the file system that become 430.
 */
import * as NodeCommandExecutor from "@effect/platform-node/NodeCommandExecutor"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodePath from "@effect/platform-node/NodePath"
import * as NodeTerminal from "@effect/platform-node/NodeTerminal"
import type { PlatformError } from "@effect/platform/Error"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as NodeFs from "node:fs"
import { systemError } from "./internal/nodeSystemError.ts"

const realPath = (path: string): Effect.Effect<string, PlatformError> =>
  Effect.async((resume) => {
    NodeFs.realpath.native(path, (error, resolved) => {
      resume(error === null ? Effect.succeed(resolved) : Effect.fail(systemError("realPath", path)(error)))
    })
  })

/** Node's file system, `realPath` native. */
export const layerFileSystem: Layer.Layer<FileSystem.FileSystem> = Layer.effect(
  FileSystem.FileSystem,
  Effect.map(FileSystem.FileSystem, (fs): FileSystem.FileSystem => ({ ...fs, realPath }))
).pipe(Layer.provide(NodeFileSystem.layer))

/** The services of `NodeContext.layer` but the worker manager, on {@link layerFileSystem}. */
export const layer = Layer.mergeAll(NodePath.layer, NodeCommandExecutor.layer, NodeTerminal.layer).pipe(
  Layer.provideMerge(layerFileSystem)
)
