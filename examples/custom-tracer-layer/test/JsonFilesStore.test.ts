import * as NodeContext from "@effect/platform-node/NodeContext"
import * as FileSystem from "@effect/platform/FileSystem"
import { describe, expect, it } from "@effect/vitest"
import { sampleTrace, testTraceStore } from "@victor/core/testing/TraceStoreContract"
import * as TraceStore from "@victor/core/TraceStore"
import * as WorkflowTracer from "@victor/core/WorkflowTracer"
import * as JsonFilesStore from "@victor/example-custom-tracer-layer/JsonFilesStore"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as NodeFs from "node:fs"
import * as NodePath from "node:path"

const inTempDirectory = <A, E, R>(body: (directory: string) => Layer.Layer<A, E, R>) =>
  Layer.unwrapScoped(
    Effect.map(
      Effect.flatMap(FileSystem.FileSystem, (fs) => fs.makeTempDirectoryScoped({ prefix: "victor-json-files-" })),
      (directory) => body(NodePath.join(directory, "traces"))
    )
  ).pipe(Layer.provideMerge(NodeContext.layer))

// The same contract suite as Victor's own stores: the four members are enough, and pruning and node facts work
// through their fallbacks.
testTraceStore("JsonFilesStore (examples/custom-tracer-layer)", () => inTempDirectory(JsonFilesStore.layer), [])

describe("JsonFilesStore", () => {
  it.scoped("stores what Victor's tracer records; a file that is not a trace is Corrupt", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const directory = NodePath.join(yield* fs.makeTempDirectoryScoped({ prefix: "victor-json-files-" }), "traces")
      yield* Effect.gen(function*() {
        const tracer = yield* WorkflowTracer.WorkflowTracer
        const store = yield* TraceStore.TraceStore
        yield* tracer.startTrace({ workflowName: "custom-store", traceId: "run-1" })
        yield* tracer.withNode({ nodeId: "n", nodeType: "compute" }, Effect.succeed(1))
        const trace = yield* tracer.endTrace()
        expect(yield* store.get("run-1")).toEqual(trace)
        expect(NodeFs.readdirSync(directory)).toEqual(["run-1.json"])
        yield* store.save(sampleTrace({ traceId: "broken" }))
        NodeFs.writeFileSync(NodePath.join(directory, "broken.json"), "{not json")
        const error = yield* Effect.flip(store.get("broken"))
        expect([error.reason, error.traceId]).toEqual(["Corrupt", "broken"])
      }).pipe(Effect.provide(Layer.provideMerge(WorkflowTracer.layer(), JsonFilesStore.layer(directory))))
    }).pipe(Effect.provide(NodeContext.layer)))
})
