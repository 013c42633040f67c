// Live runs in `victor ui`: a workflow started by another `victor` process appears on the history page while it runs,
// and its trace page shows its nodes as its journal grows (one done, the next running, then the next), before the
// run ends; then the page turns into the run's report. Also through the API alone, on the PostgreSQL store.
import * as PgCluster from "@victor/store-sql/testing/pgCluster"
import { afterAll, beforeAll, describe, expect, inject, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { type ChildProcess, spawn } from "node:child_process"
import { randomBytes } from "node:crypto"
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import type { Browser } from "playwright-core"
import { repoRoot, runVictor, sandbox, victorBin } from "./setup/runVictor.ts"
import { launch, newPage, open, waitForText } from "./setup/uiBrowser.ts"
import { startUi, stopAll, uiEnvironment } from "./setup/uiServer.ts"

let browser: Browser
beforeAll(async () => {
  browser = await launch()
})
afterAll(async () => {
  await browser?.close()
  await stopAll()
})

/** Three shell nodes one after the other: a quick one, then two that sleep; a transform at the end. */
const stepsWorkflow = (dir: string, seconds: number) => {
  const file = join(dir, "steps.yaml")
  writeFileSync(file, [
    "workflows:",
    "  steps:",
    "    nodes:",
    "      - id: quick",
    "        type: compute",
    "        tools: [shell]",
    "        inputs: { command: \"echo fast\" }",
    "      - id: first_wait",
    "        type: compute",
    "        tools: [shell]",
    `        inputs: { command: "sleep ${seconds}" }`,
    "      - id: second_wait",
    "        type: compute",
    "        tools: [shell]",
    `        inputs: { command: "sleep ${seconds}" }`,
    "      - id: done",
    "        type: transform",
    "        transform: x = 1"
  ].join("\n"))
  return file
}

/** `victor workflow run` in a process of its own; resolves with its exit code. */
const runElsewhere = (args: ReadonlyArray<string>, home: string) => {
  const child: ChildProcess = spawn(process.execPath, [victorBin, "workflow", "run", ...args], {
    cwd: repoRoot,
    env: uiEnvironment(home),
    stdio: "ignore"
  })
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)))
  return { child, exited, running: () => child.exitCode === null && child.signalCode === null }
}

describe("victor ui: live runs", () => {
  it("shows a run started in another process, its nodes updating before it ends, then its report", async () => {
    const { home, traceDir } = sandbox()
    // One finished run first, so the history is not empty.
    expect(runVictor(["workflow", "run", stepsWorkflow(home, 0), "--store", traceDir], { home }).code).toBe(0)
    const ui = await startUi(["--store", traceDir], { home })
    const watched = await newPage(browser)
    const { page } = watched
    await open(watched, ui.url)
    expect(await page.isHidden("#live")).toBe(true)
    expect(await page.textContent("#count")).toBe("1 trace")

    const run = runElsewhere([stepsWorkflow(home, 2), "--store", traceDir], home)
    // It appears on the history page while it runs, in the running list and in the table.
    await page.waitForSelector("#running li a", { timeout: 15_000 })
    expect(await page.textContent("#running li a")).toBe("steps")
    await waitForText(page, "#count", "2 traces")
    expect(await page.textContent("#traces tbody tr:first-child td:nth-child(2)")).toBe("running")
    expect(run.running()).toBe(true)

    await page.click("#running li a")
    await page.waitForSelector("body[data-page=trace][data-ready=true]")
    expect(await page.textContent("#status")).toBe("running")
    // The journal grows: the first wait runs, then it is done and the second one runs, all before the run ends.
    await page.waitForSelector("#live-nodes tr[data-node-id=first_wait][data-status=running]", { timeout: 15_000 })
    expect(await page.getAttribute("#live-nodes tr[data-node-id=quick]", "data-status")).toBe("succeeded")
    await page.waitForSelector("#live-nodes tr[data-node-id=second_wait][data-status=running]", { timeout: 15_000 })
    expect(await page.getAttribute("#live-nodes tr[data-node-id=first_wait]", "data-status")).toBe("succeeded")
    expect(run.running()).toBe(true)
    expect(await page.isHidden("#report")).toBe(true)

    // Then the run ends, and the page shows its report.
    expect(await run.exited).toBe(0)
    await page.waitForSelector("#report:not([hidden])", { timeout: 15_000 })
    expect(await page.textContent("#status")).toBe("succeeded")
    await expect.poll(() => page.frameLocator("#report").locator("body").textContent(), { timeout: 20_000 })
      .toContain("second_wait")
    // And the history page no longer lists it as running.
    await open(watched, ui.url)
    await waitForText(page, "#count", "2 traces")
    expect(await page.isHidden("#live")).toBe(true)
    expect(watched.pageErrors).toEqual([])
    expect(watched.consoleErrors).toEqual([])
    expect((await ui.stop()).code).toBe(130)
  })

  it("streams a run on the PostgreSQL store as it goes", async () => {
    const admin = inject("victorPgUrl")
    const name = `victor_ui_live_${randomBytes(6).toString("hex")}`
    await Effect.runPromise(PgCluster.runStatements(admin, [`CREATE DATABASE ${name}`]))
    const store = PgCluster.withDatabase(admin, name)
    const { home } = sandbox()
    const ui = await startUi(["--store", store], { home })
    const run = runElsewhere([stepsWorkflow(home, 1.5), "--store", store], home)
    // The running list names it; its snapshots show the nodes one after the other, the last one final.
    let traceId: string | undefined
    for (let i = 0; i < 100 && traceId === undefined; i++) {
      const listed = (await (await fetch(ui.at("/api/traces", { status: "running" }))).json()) as any
      traceId = listed.items[0]?.trace_id
      if (traceId === undefined) await new Promise((resolve) => setTimeout(resolve, 100))
    }
    expect(traceId).toBeDefined()
    const response = await fetch(ui.at(`/api/traces/${traceId}/live`))
    const text = await response.text()
    const snapshots = text.split("\n\n").filter((block) => block.startsWith("event: snapshot"))
      .map((block) => JSON.parse(block.slice(block.indexOf("data: ") + 6)))
    const running = snapshots.filter((s) => !s.final)
    expect(running.length).toBeGreaterThanOrEqual(2)
    expect(running.some((s) => s.nodes.some((n: any) => n.node_id === "first_wait" && n.status === "running"))).toBe(true)
    expect(running.some((s) => s.nodes.some((n: any) => n.node_id === "second_wait" && n.status === "running"))).toBe(true)
    expect(snapshots.at(-1)).toMatchObject({ final: true, summary: { status: "succeeded", node_count: 4 } })
    expect(await run.exited).toBe(0)
    await ui.stop()
  })
})
