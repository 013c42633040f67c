import * as NodeContext from "@effect/platform-node/NodeContext"
import { describe, expect, it } from "@effect/vitest"
import * as FileSystemTraceStore from "@victor/store-fs/FileSystemTraceStore"
import * as Effect from "effect/Effect"
import { spawnSync } from "node:child_process"
import { createRequire } from "node:module"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"

const program = fileURLToPath(new URL("./fixtures/unendedTrace.ts", import.meta.url))
// tsx runs the program's TypeScript sources, as Vitest runs this test's.
const tsx = createRequire(import.meta.url).resolve("tsx")

describe("FileSystemTraceStore.layer", () => {
  it.effect("lets go of a trace never ended: the program exits, and the trace is recovered as incomplete", () =>
    Effect.gen(function*() {
      const directory = mkdtempSync(join(tmpdir(), "victor-release-"))
      const run = spawnSync(process.execPath, ["--import", tsx, program, directory], {
        encoding: "utf8",
        timeout: 30_000
      })
      // Without the release the heartbeat timer keeps the process alive until the timeout kills it.
      expect(run.signal).toBeNull()
      expect(run.status).toBe(0)
      const traceId = run.stdout.trim()
      const store = yield* FileSystemTraceStore.make({ directory })
      const [summary] = yield* store.list()
      expect(summary).toMatchObject({ traceId, status: "incomplete" })
      const trace = yield* store.get(traceId)
      expect(trace.nodes.map((node) => [node.nodeId, node.success])).toEqual([["done", true], ["open", false]])
    }).pipe(Effect.provide(NodeContext.layer)), 40_000)
})
