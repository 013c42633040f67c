/**
 * The `effect` modules the benchmark needs, loaded from the very copy `@victor/core` uses.
 *
 * The root package does not depend on `effect` (only the workspace packages do), so a bare `import "effect/Effect"`
 * does not resolve from `bench/`. Loading the copy that `@victor/core` resolves keeps a single module instance: the
 * tracer's effects and the benchmark's `Effect.runSync` share one runtime. The types come from the same files.
 * Should `effect` become a root devDependency, this module turns into plain re-exports.
 */
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { pathToFileURL } from "node:url"
import type * as EffectModule from "../packages/core/node_modules/effect/dist/dts/Effect.js"

const effectRoot = dirname(
  createRequire(import.meta.resolve("@victor/core/WorkflowTracer")).resolve("effect/package.json")
)

const load = (module: string): Promise<unknown> =>
  import(pathToFileURL(join(effectRoot, "dist", "esm", `${module}.js`)).href)

/** `effect/Effect`, the instance `@victor/core` runs on. */
export const Effect = (await load("Effect")) as typeof EffectModule
