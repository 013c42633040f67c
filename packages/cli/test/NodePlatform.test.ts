// The CLI's platform layer: its file system resolves links with the system's realpath, and the file tools built on it
// keep to their allowed directories as on NodeFileSystem.
import * as FileSystem from "@effect/platform/FileSystem"
import { expect, layer } from "@effect/vitest"
import * as NodePlatform from "@victor/cli/NodePlatform"
import * as ToolRegistry from "@victor/workflow/ToolRegistry"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { mkdirSync, mkdtempSync, realpathSync, symlinkSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

const root = realpathSync(mkdtempSync(join(tmpdir(), "victor-platform-")))
const work = join(root, "work")
const outside = join(root, "outside")
mkdirSync(join(work, "deep"), { recursive: true })
mkdirSync(outside)
writeFileSync(join(outside, "secret.txt"), "SECRET\n")
writeFileSync(join(work, "deep", "notes.txt"), "notes\n")
symlinkSync(outside, join(work, "escape"))
symlinkSync(join(outside, "secret.txt"), join(work, "leak.txt"))
symlinkSync(join(work, "deep"), join(work, "shortcut"))

const TestLayer = Layer.provideMerge(ToolRegistry.layerBuiltinWith({ allowedPaths: [work] }), NodePlatform.layer)

layer(TestLayer, { excludeTestServices: true })("NodePlatform", (it) => {
  it.effect("realPath follows links to the end, and a missing path is NotFound", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      expect(yield* fs.realPath(join(work, "shortcut", "notes.txt"))).toBe(join(work, "deep", "notes.txt"))
      expect(yield* fs.realPath(join(work, "leak.txt"))).toBe(join(outside, "secret.txt"))
      // As the system resolves it: ".." after a link is the link target's parent (the tools resolve paths first).
      expect(yield* fs.realPath(`${work}/escape/../work`)).toBe(work)
      const missing = yield* Effect.flip(fs.realPath(join(work, "nope")))
      expect(missing).toMatchObject({ _tag: "SystemError", reason: "NotFound", method: "realPath" })
    }))

  it.effect("the file tools on it follow no link out of their directories", () =>
    Effect.gen(function*() {
      const registry = yield* ToolRegistry.ToolRegistry
      const run = (tool: string, inputs: Record<string, unknown>) =>
        Effect.flatMap(registry.get(tool), (found) => Effect.either(found.run(inputs as never)))
      for (const file of [join(work, "leak.txt"), join(work, "escape", "secret.txt")]) {
        const refused = yield* run("read", { path: file })
        expect(refused._tag === "Left" && refused.left.reason).toBe("OutsideAllowedPaths")
      }
      expect(yield* run("read", { path: join(work, "shortcut", "notes.txt") })).toMatchObject({ _tag: "Right" })
      const found = yield* run("grep", { pattern: "SECRET|notes", path: work })
      expect(found._tag === "Right" && found.right["matches"]).toEqual([
        { file: join(work, "deep", "notes.txt"), line: 1, text: "notes" }
      ])
    }))
})
