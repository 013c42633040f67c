import * as FileSystem from "@effect/platform/FileSystem"
import type * as Path from "@effect/platform/Path"
import * as NodeContext from "@effect/platform-node/NodeContext"
import { describe, expect, it } from "@effect/vitest"
import * as Journal from "@victor/core/Journal"
import { sampleTrace } from "@victor/core/testing/TraceStoreContract"
import type * as StoreServices from "@victor/core/StoreServices"
import * as TraceJournals from "@victor/core/TraceJournals"
import * as FileSystemTraceStore from "@victor/store-fs/FileSystemTraceStore"
import * as Chunk from "effect/Chunk"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Scope from "effect/Scope"
import * as TestClock from "effect/TestClock"
import * as NodeFs from "node:fs"
import * as NodePath from "node:path"

const self = { pid: process.pid, host: "test-host" }
const header = (traceId: string) => Journal.headerOf({ ...sampleTrace(), traceId, startTime: 100 })

/** Real time passing (the test's clock is the TestClock): for the file system to answer. */
const pause = (ms: number) => Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, ms)))

/**
 * A store layer in a fresh directory, on Node's file system with `utimes` recorded: the heartbeats, as the times they
 * set (Effect's `Clock`, here the TestClock) by file name.
 */
const withStoreLayer = <A, E>(
  test: (
    storeLayer: Layer.Layer<StoreServices.StoreServices>,
    beats: (name: string) => ReadonlyArray<number>,
    directory: string
  ) => Effect.Effect<A, E, Scope.Scope | FileSystem.FileSystem | Path.Path>
) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const directory = NodePath.join(yield* fs.makeTempDirectoryScoped({ prefix: "victor-heartbeat-" }), "traces")
    const touches: Array<{ readonly name: string; readonly at: number }> = []
    const recording = FileSystem.FileSystem.of({
      ...fs,
      utimes: (path, atime, mtime) =>
        Effect.suspend(() => {
          touches.push({ name: NodePath.basename(path), at: new Date(mtime).getTime() })
          return fs.utimes(path, atime, mtime)
        })
    })
    const storeLayer = FileSystemTraceStore.layer({ directory, owner: self, heartbeatSeconds: 2 }).pipe(
      Layer.provide(Layer.merge(NodeContext.layer, Layer.succeed(FileSystem.FileSystem, recording)))
    )
    const beats = (name: string) => touches.filter((t) => t.name === name).map((t) => t.at)
    return yield* test(storeLayer, beats, directory)
  }).pipe(Effect.provide(NodeContext.layer))

/** Waits (in real time) until the file has had `count` heartbeats. */
const untilBeats = (beats: (name: string) => ReadonlyArray<number>, name: string, count: number) =>
  Effect.gen(function*() {
    for (let i = 0; i < 1000 && beats(name).length < count; i++) yield* pause(5)
    expect(beats(name)).toHaveLength(count)
  })

/** Waits (in real time) until `count` fibers sleep on the TestClock: the heartbeats, waiting for their next beat. */
const untilSleeping = (count: number) =>
  Effect.gen(function*() {
    for (let i = 0; i < 1000 && Chunk.size(yield* TestClock.sleeps()) < count; i++) yield* pause(5)
    expect(Chunk.size(yield* TestClock.sleeps())).toBe(count)
  })

describe("FileSystemTraceStore heartbeats", () => {
  it.scoped("touch a running journal by Effect's Clock, and stop when the journal is finished or abandoned", () =>
    withStoreLayer((storeLayer, beats, directory) =>
      Effect.gen(function*() {
        const store = Context.get(yield* Layer.build(storeLayer), TraceJournals.TraceJournals)
        const finished = yield* store.begin(header("finished"))
        const abandoned = yield* store.begin(header("abandoned"))
        // A first beat at once, then one every 2 s of the TestClock: the mtime is the Clock's time.
        yield* untilBeats(beats, "review_finished.jsonl", 1)
        yield* untilBeats(beats, "review_abandoned.jsonl", 1)
        yield* untilSleeping(2)
        yield* TestClock.adjust("2 seconds")
        yield* untilBeats(beats, "review_finished.jsonl", 2)
        yield* untilBeats(beats, "review_abandoned.jsonl", 2)
        yield* untilSleeping(2)
        expect(beats("review_finished.jsonl")).toEqual([0, 2000])
        yield* finished.finish(sampleTrace({ traceId: "finished" }))
        yield* abandoned.abandon
        yield* TestClock.adjust("1 minute")
        yield* pause(50)
        expect(beats("review_finished.jsonl")).toEqual([0, 2000])
        expect(beats("review_abandoned.jsonl")).toEqual([0, 2000])
        const text = NodeFs.readFileSync(NodePath.join(directory, "review_abandoned.jsonl"), "utf8")
        expect(text.trimEnd().split("\n").at(-1)).toBe(Journal.ABANDONED_LINE)
      })
    ))

  it.scoped("stop when the layer's scope closes, which abandons the journals still open; none begins after", () =>
    withStoreLayer((storeLayer, beats, directory) =>
      Effect.gen(function*() {
        const scope = yield* Scope.make()
        const store = Context.get(yield* Layer.buildWithScope(storeLayer, scope), TraceJournals.TraceJournals)
        yield* store.begin(header("one"))
        yield* store.begin(header("two"))
        yield* untilBeats(beats, "review_one.jsonl", 1)
        yield* untilBeats(beats, "review_two.jsonl", 1)
        yield* untilSleeping(2)
        yield* TestClock.adjust("2 seconds")
        yield* untilBeats(beats, "review_one.jsonl", 2)
        yield* untilBeats(beats, "review_two.jsonl", 2)
        yield* untilSleeping(2)
        yield* Scope.close(scope, Exit.void)
        yield* TestClock.adjust("1 minute")
        yield* pause(50)
        expect(beats("review_one.jsonl")).toEqual([0, 2000])
        expect(beats("review_two.jsonl")).toEqual([0, 2000])
        for (const name of ["review_one.jsonl", "review_two.jsonl"]) {
          const text = NodeFs.readFileSync(NodePath.join(directory, name), "utf8")
          expect(text.trimEnd().split("\n").at(-1)).toBe(Journal.ABANDONED_LINE)
        }
        // Nothing of a journal may outlive the layer: one begun now would have no heartbeat.
        const late = yield* Effect.flip(store.begin(header("late")))
        expect(late.reason).toBe("Unavailable")
        expect(late.description).toContain("the store is closed")
        expect(NodeFs.existsSync(NodePath.join(directory, "review_late.jsonl"))).toBe(false)
        // Abandoned journals are recovered at once as incomplete traces, whoever reads next.
        const reader = yield* FileSystemTraceStore.make({ directory, owner: self })
        expect((yield* reader.list()).map((s) => [s.traceId, s.status]).sort()).toEqual([
          ["one", "incomplete"],
          ["two", "incomplete"]
        ])
      })
    ))
})
