/**
 * A store that has every capability, provided as the contract and each capability's service at once: what the file
 * and SQL stores build (`layer(make)`). A store with fewer capabilities provides only the services it has.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import { NodeFactsIndex } from "./NodeFacts.ts"
import { TraceBlobs } from "./TraceBlobs.ts"
import { TraceJournals } from "./TraceJournals.ts"
import { TracePruner } from "./TracePruning.ts"
import { TraceStore } from "./TraceStore.ts"

/** Every service of a store: the contract and all its optional capabilities. */
export type StoreServices = TraceStore | TraceJournals | TraceBlobs | NodeFactsIndex | TracePruner

/** One object with the members of the contract and of every capability. */
export type CompleteStore =
  & TraceStore["Type"]
  & TraceJournals["Type"]
  & TraceBlobs["Type"]
  & NodeFactsIndex["Type"]
  & TracePruner["Type"]

/** The services of a complete store, each holding only its own members. */
export const context = (store: CompleteStore): Context.Context<StoreServices> =>
  Context.make(TraceStore, { save: store.save, get: store.get, list: store.list, remove: store.remove }).pipe(
    Context.add(TraceJournals, { begin: store.begin, recover: store.recover }),
    Context.add(TraceBlobs, { readBlob: store.readBlob }),
    Context.add(NodeFactsIndex, { listNodeFacts: store.listNodeFacts }),
    Context.add(TracePruner, { prune: store.prune })
  )

/** A layer of every service of the complete store `make` builds (in the layer's scope). */
export const layer = <E, R>(
  make: Effect.Effect<CompleteStore, E, R>
): Layer.Layer<StoreServices, E, Exclude<R, Scope.Scope>> => Layer.scopedContext(Effect.map(make, context))

/** The complete store of the services in context, as one object (the inverse of `context`). */
export const complete: Effect.Effect<CompleteStore, never, StoreServices> = Effect.map(
  Effect.all([TraceStore, TraceJournals, TraceBlobs, NodeFactsIndex, TracePruner]),
  ([store, journals, blobs, facts, pruner]) => ({ ...store, ...journals, ...blobs, ...facts, ...pruner })
)
