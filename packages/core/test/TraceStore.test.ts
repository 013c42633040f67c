import * as TraceJournals from "@victor/core/TraceJournals"
import * as TraceStore from "@victor/core/TraceStore"
import { testTraceStore } from "@victor/core/testing/TraceStoreContract"

testTraceStore("memory", () => TraceStore.layerMemory, [])
testTraceStore("memory with journals", () => TraceJournals.layerMemory, ["journals"])
