/**
 * Shared test fixtures: a temporary source tree (with a node_modules and a .git that grep must skip) and the layer
 * of real platform services, built-in tools and an in-memory tracer.
 */
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import * as WorkflowTracer from "@victor/core/WorkflowTracer"
import * as ToolRegistry from "@victor/workflow/ToolRegistry"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { tmpdir } from "node:os"

/** Creates a scoped temporary directory holding a small source tree; returns its path. */
export const makeTree = Effect.gen(function*() {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const root = yield* fs.makeTempDirectoryScoped({ prefix: "victor-workflow-" })
  const write = (relative: string, content: string) =>
    Effect.zipRight(
      fs.makeDirectory(path.dirname(path.join(root, relative)), { recursive: true }),
      fs.writeFileString(path.join(root, relative), content)
    )
  yield* write("src/a.ts", "const a = 1\n// TODO: rename a\n")
  yield* write("src/nested/b.ts", "// FIXME later\nexport const b = 2\n")
  yield* write("src/notes.md", "TODO in markdown\n")
  yield* write("node_modules/dep/index.ts", "// TODO inside a dependency\n")
  yield* write(".git/HEAD", "TODO never searched\n")
  return root
})

/** The file tools may use the working directory and the temp directory the tests' trees live in. */
export const testAllowedPaths = [".", tmpdir()]

/** Platform services and the built-in tools. */
export const ToolsLayer = Layer.provideMerge(
  ToolRegistry.layerBuiltinWith({ allowedPaths: testAllowedPaths }),
  NodeContext.layer
)

/** Platform services, the built-in tools and an in-memory tracer. */
export const RunLayer = Layer.merge(ToolsLayer, WorkflowTracer.layerMemory())
