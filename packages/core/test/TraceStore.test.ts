import * as TraceStore from "@victor/core/TraceStore"
import { testTraceStore } from "@victor/core/testing/TraceStoreContract"

testTraceStore("memory", () => TraceStore.layerMemory)
