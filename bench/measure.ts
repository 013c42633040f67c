/**
 * Measures one scenario in this process, which `run.ts` starts fresh for every scenario with `--expose-gc`.
 *
 * Time: after the warm-up runs, timed runs follow one another as in a service that records one workflow after
 * another: no GC is forced in between, each recording is dropped before the next run, and each run pays for
 * collecting what the run before it dropped (the floor's plain objects included).
 *
 * With `cold`, every timed run starts after forced GCs instead, on a heap holding nothing of the runs before it. Runs
 * agree more with one another, but a full GC also collects what optimized code holds weakly (the previous run's
 * tracer and its closures), so V8 deoptimizes that code and each cold run starts by optimizing it again: at 10,000
 * nodes this about doubles Victor's time per node; at 100,000 it is a few percent.
 *
 * Heap: the heap in use after a run (after forced GCs, with the recording still referenced) minus the heap in use
 * before it, read on separate runs (`heap runs` of them), or on every timed run when they are cold.
 *
 * Usage: node --expose-gc --import tsx bench/measure.ts <scenario> <nodes> <timed runs> <warm-up runs> <heap runs>
 * [cold]
 * Prints one JSON `Measurement` line on stdout.
 */
import { type Measurement, median } from "./report.ts"
import { all, type Recording } from "./scenarios.ts"

const argv = process.argv.slice(2)
const [name, nodesArg = "100000", repetitionsArg = "5", warmupArg = "2", heapRunsArg = "2", mode] = argv
const scenario = all.find((s) => s.name === name)
if (scenario === undefined) throw new Error(`unknown scenario ${JSON.stringify(name)}`)
const gc = globalThis.gc
if (gc === undefined) throw new Error("run with node --expose-gc")
const nodes = Number(nodesArg)
const repetitions = Number(repetitionsArg)
const warmups = Number(warmupArg)
const heapRuns = Number(heapRunsArg)
const cold = mode === "cold"

// Node ids are the workflow's, made before measuring, so that no scenario is charged for building them.
const nodeIds = Array.from({ length: nodes }, (_, i) => `node_${i}`)
const warmupIds = nodeIds.slice(0, Math.min(nodes, 20_000))

// The heap in use once the garbage is gone. The event loop turns before each reading, and readings repeat until two
// agree: V8 sometimes keeps the previous run's objects alive until the current job is over, and a long run of awaits
// is all one job.
const turn = async (): Promise<void> => {
  await new Promise<void>((resolve) => setTimeout(resolve, 1))
  await new Promise<void>((resolve) => setImmediate(resolve))
}

const settle = async (): Promise<number> => {
  let previous = -1
  let used = 0
  for (let reading = 0; reading < 10; reading++) {
    await turn()
    gc()
    gc()
    used = process.memoryUsage().heapUsed
    if (Math.abs(used - previous) < 64 * 1024) break
    previous = used
  }
  return used
}

// Each run lives in its own async function: a suspended frame can keep the last value it awaited alive, which would
// leave a recording on the heap after the run that made it.
const warmUp = async (): Promise<void> => (await scenario.run(warmupIds)).check()

// A timed run; a cold one starts and ends with forced GCs, so it weighs the recording too.
const timed = async (): Promise<{ readonly micros: number; readonly heap: number | undefined }> => {
  const before = cold ? await settle() : undefined
  const start = performance.now()
  const recording: Recording = await scenario.run(nodeIds)
  const elapsed = performance.now() - start
  const heap = before === undefined ? undefined : ((await settle()) - before) / nodes
  recording.check()
  return { micros: (elapsed * 1000) / nodes, heap }
}

// A run that is only weighed, when the timed runs are not cold.
const weighed = async (): Promise<number> => {
  const before = await settle()
  const recording: Recording = await scenario.run(nodeIds)
  const after = await settle()
  recording.check()
  return (after - before) / nodes
}

for (let i = 0; i < warmups; i++) await warmUp()
const micros: Array<number> = []
const heap: Array<number> = []
for (let i = 0; i < repetitions; i++) {
  const run = await timed()
  micros.push(run.micros)
  if (run.heap !== undefined) heap.push(run.heap)
}
if (!cold) for (let i = 0; i < heapRuns; i++) heap.push(await weighed())

const measurement: Measurement = {
  scenario: scenario.name,
  nodes,
  microsPerNode: micros,
  heapBytesPerNodeReadings: heap,
  medianMicrosPerNode: median(micros),
  // A reading can only come out low (when V8 keeps the previous run alive into the "before" reading), so the largest.
  heapBytesPerNode: Math.max(...heap)
}
process.stdout.write(JSON.stringify(measurement) + "\n")
