/** A custom store, a `<id>.json` file per trace: these four members are the whole contract (missing: NotFound). */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import * as TraceDecoder from "@victor/core/TraceDecoder"
import * as TraceJson from "@victor/core/TraceJson"
import * as TraceStore from "@victor/core/TraceStore"
import { summarize, type WorkflowTrace } from "@victor/core/WorkflowTrace"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

const failure = (traceId: string) => (error: { readonly message: string; readonly reason?: string }) =>
  error.reason === "NotFound"
    ? TraceStore.notFound(traceId)
    : new TraceStore.TraceStoreError({ reason: "Corrupt", traceId, description: error.message })

export const layer = (directory: string) =>
  Layer.effect(TraceStore.TraceStore, Effect.gen(function*() {
    const [fs, path] = yield* Effect.all([FileSystem.FileSystem, Path.Path])
    yield* Effect.orDie(fs.makeDirectory(directory, { recursive: true }))
    const file = (traceId: string) => path.join(directory, `${traceId}.json`)
    const get = (traceId: string) =>
      Effect.flatMap(TraceStore.validateId(traceId), (id) =>
        fs.readFileString(file(id)).pipe(
          Effect.flatMap((text) => Effect.try(() => JSON.parse(text) as unknown)),
          Effect.flatMap(TraceDecoder.decodeUnknown),
          Effect.mapError(failure(id))
        ))
    const save = (trace: WorkflowTrace) =>
      Effect.flatMap(TraceStore.validateId(trace.traceId), (id) =>
        Effect.mapError(fs.writeFileString(file(id), TraceJson.encodeToString(trace)), failure(id)))
    const list = (query?: TraceStore.TraceQuery) =>
      fs.readDirectory(directory).pipe(
        Effect.mapError(failure("")),
        Effect.flatMap((names) => Effect.forEach(names.map((name) => path.basename(name, ".json")), get)),
        Effect.map((traces) => TraceStore.applyQuery(traces.map(summarize), query))
      )
    const remove = (traceId: string) =>
      Effect.zipRight(get(traceId), Effect.mapError(fs.remove(file(traceId)), failure(traceId)))
    return TraceStore.TraceStore.of({ save, get, list, remove })
  }))
