// `victor ui` as a server, through the real binary in a subprocess: the token every request needs, the headers, where
// it listens, its API (history with filters and paging, sparklines, compare), its event streams, and how it stops.
import * as PgCluster from "@victor/store-sql/testing/pgCluster"
import { afterAll, describe, expect, inject, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { randomBytes } from "node:crypto"
import { createServer } from "node:net"
import { quickWorkflow, runVictor, sandbox } from "./setup/runVictor.ts"
import { startUi, stopAll } from "./setup/uiServer.ts"
import { makeTrace, saveTraces } from "./setup/uiTraces.ts"

afterAll(stopAll)

const T0 = 1_767_225_600 // 2026-01-01T00:00:00Z

/** A store of 30 traces: review (every 5th failed), deploy, nightly; one a second from T0. */
const history = async () => {
  const { home, traceDir } = sandbox()
  const traces = Array.from({ length: 30 }, (_, i) => {
    const workflow = ["review", "deploy", "nightly"][i % 3]!
    return makeTrace({
      id: `t${String(i).padStart(2, "0")}-${workflow}`,
      workflow,
      start: T0 + i,
      nodes: [
        { id: "fetch", seconds: 0.1 + i / 100, tool: "shell" },
        { id: "check", seconds: 0.2, ...(i % 5 === 0 ? { error: "exit 1" } : {}) }
      ]
    })
  })
  await saveTraces(traceDir, traces)
  return { home, traceDir, traces }
}

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer()
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })

/** Reads an event stream until `until` says enough (or 15 s pass); the events as [name, data]. */
const readEvents = async (
  url: string,
  until: (events: ReadonlyArray<readonly [string, any]>) => boolean
): Promise<Array<readonly [string, any]>> => {
  const abort = new AbortController()
  const timer = setTimeout(() => abort.abort(), 15_000)
  const events: Array<readonly [string, any]> = []
  try {
    const response = await fetch(url, { signal: abort.signal })
    expect(response.headers.get("content-type")).toContain("text/event-stream")
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader()
    let buffer = ""
    while (!until(events)) {
      const { done, value } = await reader.read()
      if (done) break
      buffer += value
      let end: number
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        const name = /^event: (.*)$/m.exec(block)?.[1]
        const data = /^data: (.*)$/m.exec(block)?.[1]
        if (name !== undefined && data !== undefined) events.push([name, JSON.parse(data)])
      }
    }
  } catch (error) {
    if (!abort.signal.aborted) throw error
  } finally {
    clearTimeout(timer)
    abort.abort()
  }
  return events
}

describe("victor ui: the server", () => {
  it("--help explains every option with an example", () => {
    const { home } = sandbox()
    const help = runVictor(["ui", "--help"], { home })
    expect(help.code, help.stderr).toBe(0)
    for (const text of ["Usage: victor ui [options]", "--store", "--port", "--host", "--no-open", "Example: --port 8080"]) {
      expect(help.stdout).toContain(text)
    }
    expect(runVictor(["--help"], { home }).stdout).toMatch(/^ {2}ui +Explore the stored traces in a browser\./m)
    const typo = runVictor(["ui", "--port", "abc"], { home })
    expect(typo.code).toBe(2)
    expect(typo.stderr).toContain("--port needs a whole number")
  })

  it("rejects every request without the token (401) or with another one (403), and sends no CORS headers", async () => {
    const { home, traceDir, traces } = await history()
    const ui = await startUi(["--store", traceDir], { home })
    expect(ui.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{43}$/)
    const paths = ["/", "/compare", `/trace/${traces[0]!.traceId}`, "/assets/common.js", "/api/traces", "/api/workflows",
      `/report/${traces[0]!.traceId}`, "/api/live", "/favicon.ico"]
    const wrong = "A".repeat(43)
    for (const path of paths) {
      const none = await fetch(ui.origin + path, { headers: { origin: "https://evil.example" } })
      expect(none.status, path).toBe(401)
      expect(await none.text()).not.toContain(traces[0]!.traceId)
      expect(none.headers.get("access-control-allow-origin")).toBeNull()
      const bad = await fetch(`${ui.origin}${path}?token=${wrong}`)
      expect(bad.status, path).toBe(403)
      const badHeader = await fetch(ui.origin + path, { headers: { authorization: `Bearer ${wrong}` } })
      expect(badHeader.status, path).toBe(403)
      const short = await fetch(`${ui.origin}${path}?token=${ui.token.slice(0, 10)}`)
      expect(short.status, path).toBe(403)
    }
    // With it: in the query (pages) or as a bearer token (the pages' API calls); never a CORS header.
    const page = await fetch(ui.at("/"), { headers: { origin: "https://evil.example" } })
    expect(page.status).toBe(200)
    expect(page.headers.get("access-control-allow-origin")).toBeNull()
    expect(page.headers.get("content-security-policy")).toContain("script-src 'self'")
    expect(page.headers.get("content-security-policy")).toContain("frame-ancestors 'none'")
    expect(page.headers.get("cache-control")).toBe("no-store")
    expect(page.headers.get("referrer-policy")).toBe("no-referrer")
    const api = await fetch(`${ui.origin}/api/traces`, { headers: { authorization: `Bearer ${ui.token}` } })
    expect(api.status).toBe(200)
    const preflight = await fetch(ui.at("/api/traces"), {
      method: "OPTIONS",
      headers: { origin: "https://evil.example", "access-control-request-method": "GET" }
    })
    expect(preflight.headers.get("access-control-allow-origin")).toBeNull()
    // Only GET routes exist: nothing can change the store.
    expect((await fetch(ui.at("/api/traces"), { method: "POST" })).status).toBe(404)
    expect((await ui.stop()).code).toBe(130)
  })

  it("lists the history newest first, filtered by workflow, status, time range and text, a page at a time", async () => {
    const { home, traceDir, traces } = await history()
    const ui = await startUi(["--store", traceDir], { home })
    const get = async (params: Record<string, string>) => {
      const response = await fetch(ui.at("/api/traces", params))
      expect(response.status, JSON.stringify(params)).toBe(200)
      return (await response.json()) as { total: number; pages: number; items: Array<{ trace_id: string; workflow_name: string; status: string }> }
    }
    const all = await get({})
    expect(all.total).toBe(30)
    expect(all.items.map((s) => s.trace_id)).toEqual(traces.map((t) => t.traceId).reverse())
    const review = await get({ workflow: "review" })
    expect(review.total).toBe(10)
    expect(new Set(review.items.map((s) => s.workflow_name))).toEqual(new Set(["review"]))
    const failed = await get({ status: "failed" })
    expect(failed.items.map((s) => s.trace_id)).toEqual(["t25-deploy", "t20-nightly", "t15-review", "t10-deploy", "t05-nightly", "t00-review"])
    expect((await get({ workflow: "review", status: "failed" })).items.map((s) => s.trace_id)).toEqual(["t15-review", "t00-review"])
    expect((await get({ from: String(T0 + 10), to: String(T0 + 12) })).items.map((s) => s.trace_id))
      .toEqual(["t12-review", "t11-nightly", "t10-deploy"])
    expect((await get({ from: "2026-01-01T00:00:28Z" })).total).toBe(2)
    expect((await get({ q: "NIGHT" })).total).toBe(10)
    expect((await get({ q: "t2" })).total).toBe(10)
    const second = await get({ size: "7", page: "2" })
    expect(second.pages).toBe(5)
    expect(second.items.map((s) => s.trace_id)).toEqual(traces.slice(16, 23).map((t) => t.traceId).reverse())
    for (const bad of [{ status: "done" }, { page: "0" }, { size: "100000" }, { from: "yesterday-ish" }]) {
      const response = await fetch(ui.at("/api/traces", bad))
      expect(response.status).toBe(400)
      expect(((await response.json()) as { error: string }).error).toMatch(/status|page|size|from/)
    }
    const workflows = (await (await fetch(ui.at("/api/workflows"))).json()) as {
      workflows: Array<{ workflow_name: string; runs: number; failed: number; durations: Array<number> }>
    }
    expect(workflows.workflows.map((w) => [w.workflow_name, w.runs, w.failed])).toEqual([
      ["nightly", 10, 2],
      ["deploy", 10, 2],
      ["review", 10, 2]
    ])
    expect(workflows.workflows[0]!.durations).toHaveLength(10)
    await ui.stop()
  })

  it("compares two traces by id, prefix or last, and never reads a path", async () => {
    const { home, traceDir } = sandbox()
    const base = makeTrace({ id: "base-run", workflow: "review", start: T0, nodes: [{ id: "a", seconds: 0.2 }, { id: "b", seconds: 0.3 }] })
    const head = makeTrace({ id: "head-run", workflow: "review", start: T0 + 60, nodes: [{ id: "a", seconds: 0.2 }, { id: "b", seconds: 1.5 }] })
    await saveTraces(traceDir, [base, head])
    const ui = await startUi(["--store", traceDir], { home })
    const view = (await (await fetch(ui.at("/api/compare", { base: "base", head: "last" }))).json()) as any
    expect(view.base.trace_id).toBe("base-run")
    expect(view.head.trace_id).toBe("head-run")
    expect(view.regressions).toEqual([expect.stringMatching(/^b slowed by \+1\.20s/)])
    expect(view.nodes).toBe(2)
    expect(view.total).toBe("500ms -> 1.70s (+1.20s, +240.0%)")
    expect((await (await fetch(ui.at("/api/compare", { base: "base-run", head: "head-run", threshold: "500%" }))).json() as any).regressions).toEqual([])
    const report = await fetch(ui.at("/compare/report", { base: "base-run", head: "head-run" }))
    expect(report.status).toBe(200)
    expect(report.headers.get("content-security-policy")).toContain("sandbox")
    // The plugin's own page, whatever it shows: about these two runs.
    const reportText = await report.text()
    expect(reportText).toMatch(/^<!DOCTYPE html>/i)
    expect(reportText).toContain("head-run")
    for (const [params, pattern] of [
      [{ base: "/etc/passwd", head: "last" }, /is a file path, not a stored trace/],
      [{ base: "nope", head: "last" }, /no stored trace 'nope'/],
      [{ base: "base-run" }, /give two traces/],
      [{ base: "base-run", head: "last", threshold: "fast" }, /invalid threshold/]
    ] as const) {
      const response = await fetch(ui.at("/api/compare", params))
      expect(response.status).toBe(400)
      expect(((await response.json()) as { error: string }).error).toMatch(pattern)
    }
    expect((await fetch(ui.at("/report/..%2F..%2Fetc%2Fpasswd"))).status).toBe(404)
    expect((await fetch(ui.at("/report/missing-trace"))).status).toBe(404)
    await ui.stop()
  })

  it("streams a finished trace's one final snapshot, and the running traces", async () => {
    const { home, traceDir, traces } = await history()
    const ui = await startUi(["--store", traceDir], { home })
    const snapshots = await readEvents(ui.at(`/api/traces/${traces[3]!.traceId}/live`), () => false)
    expect(snapshots.map(([name]) => name)).toEqual(["snapshot"])
    expect(snapshots[0]![1]).toMatchObject({ final: true, summary: { trace_id: traces[3]!.traceId, status: "succeeded" } })
    expect(await readEvents(ui.at("/api/traces/not-stored/live"), () => false)).toEqual([
      ["missing", expect.objectContaining({ trace_id: "not-stored" })]
    ])
    const running = await readEvents(ui.at("/api/live"), (events) => events.length >= 1)
    expect(running).toEqual([["running", { traces: [] }]])
    await ui.stop()
  })

  it("binds 127.0.0.1 unless --host, which warns; --port picks the port; a port in use is exit 2", async () => {
    const { home, traceDir } = sandbox()
    const port = await freePort()
    const ui = await startUi(["--store", traceDir, "--port", String(port)], { home })
    expect(ui.url.startsWith(`http://127.0.0.1:${port}/?token=`)).toBe(true)
    expect(ui.stderr()).toBe("")
    const taken = runVictor(["ui", "--no-open", "--store", traceDir, "--port", String(port)], { home })
    expect(taken.code).toBe(2)
    expect(taken.stderr).toContain(`--port ${port}: the port is in use`)
    await ui.stop()
    const wide = await startUi(["--store", traceDir, "--host", "0.0.0.0"], { home })
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(wide.stderr()).toContain("warning: --host 0.0.0.0: the explorer is reachable from other machines")
    const port2 = new URL(wide.url).port
    expect((await fetch(`http://127.0.0.1:${port2}/?token=${wide.token}`)).status).toBe(200)
    expect((await fetch(`http://127.0.0.1:${port2}/`)).status).toBe(401)
    await wide.stop()
    expect(runVictor(["ui", "--no-open", "--port", "70000"], { home }).code).toBe(2)
  })

  it("stops on Ctrl-C with exit code 130 (143 on SIGTERM), open event streams and all", async () => {
    const { home, traceDir } = await history()
    const ui = await startUi(["--store", traceDir], { home })
    const streams = [ui.at("/api/live"), ui.at("/api/live")].map(async (url) => {
      const response = await fetch(url)
      const reader = response.body!.getReader()
      await reader.read()
      return reader
    })
    const readers = await Promise.all(streams)
    const stopped = await ui.stop("SIGINT")
    expect(stopped.code).toBe(130)
    expect(stopped.ms).toBeLessThan(5000)
    // The streams end with the server.
    for (const reader of readers) await reader.read().then(() => undefined, () => undefined)
    const again = await startUi(["--store", traceDir], { home })
    expect((await again.stop("SIGTERM")).code).toBe(143)
  })

  it("explores a PostgreSQL store (--store postgres://...)", async () => {
    const admin = inject("victorPgUrl")
    const name = `victor_ui_${randomBytes(6).toString("hex")}`
    await Effect.runPromise(PgCluster.runStatements(admin, [`CREATE DATABASE ${name}`]))
    const store = PgCluster.withDatabase(admin, name)
    const { home } = sandbox()
    expect(runVictor(["workflow", "run", quickWorkflow(home, "hello", "echo hi"), "--store", store], { home }).code).toBe(0)
    expect(runVictor(["workflow", "run", quickWorkflow(home, "broken", "exit 3"), "--store", store], { home }).code).toBe(1)
    const ui = await startUi(["--store", store], { home })
    const password = new URL(store).password
    if (password !== "") expect(ui.stdout()).not.toContain(password)
    const listed = (await (await fetch(ui.at("/api/traces", { status: "failed" }))).json()) as any
    expect(listed.items.map((s: any) => s.workflow_name)).toEqual(["broken"])
    const report = await fetch(ui.at(`/report/${listed.items[0].trace_id}`))
    expect(report.status).toBe(200)
    expect(await report.text()).toContain("broken")
    await ui.stop()
  })
})
