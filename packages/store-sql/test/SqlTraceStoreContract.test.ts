import { testTraceStore } from "@victor/core/testing/TraceStoreContract"
import * as SqlTraceStore from "@victor/store-sql/SqlTraceStore"
import * as PgCluster from "@victor/store-sql/testing/pgCluster"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { inject } from "vitest"

const adminUrl = inject("victorPgUrl")

// Every test of the contract gets a database of its own, created empty and dropped afterwards.
testTraceStore("postgres", () =>
  Layer.unwrapScoped(
    Effect.map(PgCluster.freshDatabase(adminUrl), (url) => SqlTraceStore.layer({ url }))
  ), ["journals", "blobs", "nodeFacts", "pruning"])
