// Pushing traces to an OTLP collector from the command line, losing nothing: `workflow trace|run --otlp` pushes the
// stored trace (retrying a 503), leaves it pending when the collector is down or refuses it (exit code still the
// run's), `trace push --pending` sends what is pending once, `trace push` of a refused trace is one line and exit 1,
// headers reach the collector but never a file of the store nor the output, and the OTEL_* variables name the
// collector and the service. Real `victor` processes against a loopback receiver.
import * as TraceContext from "@victor/core/TraceContext"
import { describe, expect, it } from "@effect/vitest"
import { spawn } from "node:child_process"
import { lstatSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import * as OtlpProto from "../../../plugins/exporter-otlp/test/otlpProto.ts"
import * as Receiver from "../../../plugins/exporter-otlp/test/receiver.ts"
import {
  modeOf,
  plain,
  quickWorkflow,
  repoRoot,
  runVictor,
  sandbox,
  slowWorkflow,
  traceInBackground,
  victorBin
} from "./setup/runVictor.ts"

// Retries 10 ms apart instead of half a second (a hidden knob, for tests).
const quick = { VICTOR_OTLP_RETRY_BASE_MS: "10" }

/** Every file under a directory, recursively. */
const allFiles = (dir: string): Array<string> =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? allFiles(join(dir, entry.name)) : [join(dir, entry.name)]
  )

interface Listed {
  readonly trace_id: string
  readonly workflow_name: string
  readonly push: "pushed" | "pending" | null
}

const listJson = (home: string, env: Record<string, string> = {}): Array<Listed> => {
  const run = runVictor(["trace", "list", "--json"], { home, env })
  expect(run.stderr).toBe("")
  expect(run.code).toBe(0)
  return JSON.parse(run.stdout) as Array<Listed>
}

/** The spans of the requests a receiver answered 2xx. */
const acceptedSpans = async (receiver: Receiver.Receiver) =>
  (await receiver.requests()).filter((r) => r.status >= 200 && r.status < 300).flatMap((r) =>
    OtlpProto.decode(r.payload).spans
  )

/** The span ids of a stored trace, as `trace export --format otlp` writes them (OTLP/JSON lines). */
const exportedSpanIds = (home: string, traceId: string): Array<string> => {
  const run = runVictor(["trace", "export", traceId, "--format", "otlp"], { home })
  expect(run.code).toBe(0)
  return run.stdout.trimEnd().split("\n").flatMap((line) =>
    (JSON.parse(line) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<{ spanId: string }> }> }> })
      .resourceSpans.flatMap((r) => r.scopeSpans.flatMap((scope) => scope.spans.map((span) => span.spanId)))
  ).sort()
}

/** A closed port: a receiver started and stopped (a push to it gets "connection refused"). */
const closedUrl = async () => {
  const receiver = await Receiver.start()
  await receiver.close()
  return receiver.url
}

describe("workflow trace --otlp", () => {
  it("retries a 503 twice, then the collector has the trace's spans once and trace list says pushed", async () => {
    const { home, traceDir } = sandbox()
    const file = quickWorkflow(home, "hello", "echo hi")
    const receiver = await Receiver.start([503, 503, 200])
    try {
      const run = runVictor(["workflow", "trace", file, "--otlp", receiver.url], { home, env: quick })
      expect(run.stderr).toBe("")
      expect(run.code).toBe(0)
      const [trace] = listJson(home)
      expect(trace).toMatchObject({ workflow_name: "hello", push: "pushed" })
      expect(run.stdout).toContain(`Pushed trace ${trace!.trace_id} to ${receiver.url} (3 spans, 1 request)`)

      const requests = await receiver.requests()
      expect(requests.map((r) => r.status)).toEqual([503, 503, 200])
      expect(requests.every((r) => r.path === "/v1/traces" && r.headers["content-type"] === "application/x-protobuf")).toBe(true)
      const spans = await acceptedSpans(receiver)
      expect(spans.map((s) => s.spanId).sort()).toEqual(exportedSpanIds(home, trace!.trace_id))
      expect(spans.map((s) => s.name)).toEqual(expect.arrayContaining(["compute step", "execute_tool shell", "invoke_workflow hello"]))
      expect(new Set(spans.map((s) => s.traceId))).toEqual(new Set([TraceContext.traceIdOf(trace!.trace_id)]))

      // The table has the column once a trace was pushed.
      const table = plain(runVictor(["trace", "list"], { home }).stdout).split("\n")
      expect(table[0]).toMatch(/FAILED\s+OTLP$/)
      expect(table[1]).toMatch(new RegExp(`^${trace!.trace_id}\\s.*\\spushed$`))

      // The ledger: one entry, private, naming the endpoint and what was delivered.
      const ledger = join(traceDir, "otlp")
      expect(modeOf(ledger)).toBe(0o700)
      expect(readdirSync(ledger)).toEqual([`${trace!.trace_id}.pushed.json`])
      const entryFile = join(ledger, `${trace!.trace_id}.pushed.json`)
      expect(modeOf(entryFile)).toBe(0o600)
      expect(JSON.parse(readFileSync(entryFile, "utf8"))).toMatchObject({
        trace_id: trace!.trace_id,
        state: "pushed",
        endpoint: receiver.url,
        protocol: "http/protobuf",
        delivered_requests: 1,
        attempts: 1,
        last_error: null
      })

      // trace rm takes the trace's entry with it.
      expect(runVictor(["trace", "rm", trace!.trace_id], { home }).code).toBe(0)
      expect(readdirSync(ledger)).toEqual([])
    } finally {
      await receiver.close()
    }
  })

  it("collector down: the run exits 0, the trace stays pending; trace push --pending delivers it once", async () => {
    const { home } = sandbox()
    const file = quickWorkflow(home, "offline", "echo hi")
    const down = await closedUrl()
    const run = runVictor(["workflow", "run", file, "--otlp", down], { home, env: quick })
    expect(run.code).toBe(0)
    const [trace] = listJson(home)
    const id = trace!.trace_id
    expect(trace!.push).toBe("pending")
    expect(run.stderr).toMatch(new RegExp(
      `^victor: trace ${id} stored; not yet pushed to ${down} \\(unavailable after 3 attempts: connection refused ` +
        "\\(ECONNREFUSED\\)\\); send it later with: victor trace push --pending\\n$"
    ))

    // Without --endpoint, a pending trace goes where its push went: still down.
    const again = runVictor(["trace", "push", "--pending"], { home, env: quick })
    expect(again.code).toBe(1)
    expect(again.stderr).toContain(`victor: OTLP endpoint ${down} is unavailable after 5 attempts`)
    expect(again.stderr).toContain(`trace ${id} stays pending`)
    expect(listJson(home)[0]!.push).toBe("pending")

    const receiver = await Receiver.start()
    try {
      const pushed = runVictor(["trace", "push", "--pending", "--endpoint", receiver.url], { home, env: quick })
      expect(pushed.code).toBe(0)
      expect(pushed.stderr).toBe(
        `Pushing 1 pending trace, oldest first\n[1/1] pushed ${id} (offline) to ${receiver.url}: 3 spans, 1 request\n`
      )
      expect(pushed.stdout).toBe("Pushed 1 pending trace\n")
      expect(listJson(home)[0]!.push).toBe("pushed")
      expect((await acceptedSpans(receiver)).map((s) => s.name)).toContain("invoke_workflow offline")

      const nothing = runVictor(["trace", "push", "--pending", "--endpoint", receiver.url], { home, env: quick })
      expect(nothing.code).toBe(0)
      expect(nothing.stdout).toBe("Nothing to push: no stored trace is pending.\n")
      expect(await receiver.requests()).toHaveLength(1)
    } finally {
      await receiver.close()
    }
  })

  it("a push cut short is resumed after the requests the collector took, none sent twice; prune drops the entry", async () => {
    const { home, traceDir } = sandbox()
    const file = join(home, "three.yaml")
    writeFileSync(file, [
      "workflows:",
      "  three:",
      "    nodes:",
      ...["a", "b", "c"].flatMap((id) => [
        `      - id: ${id}`,
        "        type: compute",
        "        tools: [shell]",
        `        inputs: { command: "echo ${id}" }`
      ])
    ].join("\n"))
    // Two spans a request: the run's, then one request per node (a node's spans are never split).
    const env = { ...quick, VICTOR_OTLP_SPANS_PER_REQUEST: "2" }
    const receiver = await Receiver.start([200, 503, 503, 503])
    try {
      const run = runVictor(["workflow", "trace", file, "--otlp", receiver.url], { home, env })
      expect(run.code).toBe(0)
      expect(run.stderr).toContain("not yet pushed to")
      const id = listJson(home)[0]!.trace_id
      const entry = JSON.parse(readFileSync(join(traceDir, "otlp", `${id}.pending.json`), "utf8"))
      expect(entry).toMatchObject({ state: "pending", delivered_requests: 1, attempts: 1 })
      expect(entry.last_error).toContain("HTTP 503 Service Unavailable")

      const push = runVictor(["trace", "push", "--pending"], { home, env })
      expect(push.stderr).toContain("after 1 request an earlier push delivered")
      expect(push.code).toBe(0)
      const requests = await receiver.requests()
      expect(requests.map((r) => r.status)).toEqual([200, 503, 503, 503, 200, 200])
      // Every span of the trace exactly once.
      expect((await acceptedSpans(receiver)).map((s) => s.spanId).sort()).toEqual(exportedSpanIds(home, id))
      expect(JSON.parse(readFileSync(join(traceDir, "otlp", `${id}.pushed.json`), "utf8"))).toMatchObject({
        state: "pushed",
        delivered_requests: 3,
        attempts: 2,
        last_error: null
      })

      expect(runVictor(["trace", "prune", "--keep-last", "0"], { home }).code).toBe(0)
      expect(readdirSync(join(traceDir, "otlp"))).toEqual([])
    } finally {
      await receiver.close()
    }
  })

  it("401: the run exits 0 with one line; trace push exits 1 with one line naming the endpoint and the status", async () => {
    const { home } = sandbox()
    const file = quickWorkflow(home, "locked", "echo hi")
    const receiver = await Receiver.start([401, 401])
    try {
      const run = runVictor(["workflow", "trace", file, "--otlp", receiver.url], { home, env: quick })
      expect(run.code).toBe(0)
      const id = listJson(home)[0]!.trace_id
      expect(run.stderr).toBe(
        `victor: trace ${id} stored; not pushed: OTLP endpoint ${receiver.url} rejected it (HTTP 401 Unauthorized); ` +
          "once that is fixed, send it with: victor trace push --pending\n"
      )
      expect(listJson(home)[0]!.push).toBe("pending")

      const push = runVictor(["trace", "push", id.slice(0, 8), "--endpoint", receiver.url], { home, env: quick })
      expect(push.code).toBe(1)
      expect(push.stdout).toBe("")
      expect(push.stderr).toBe(`victor: OTLP endpoint ${receiver.url} rejected trace ${id}: HTTP 401 Unauthorized\n`)
      expect(await receiver.requests()).toHaveLength(2)
    } finally {
      await receiver.close()
    }
  })

  it("a failed run pushed, or not pushed, keeps exit code 1", async () => {
    const { home } = sandbox()
    const file = quickWorkflow(home, "broken", "exit 3")
    const down = await closedUrl()
    const run = runVictor(["workflow", "trace", file, "--otlp", down], { home, env: quick })
    expect(run.code).toBe(1)
    expect(run.stderr).toContain("not yet pushed to")
    const receiver = await Receiver.start()
    try {
      expect(runVictor(["workflow", "trace", file, "--otlp", receiver.url], { home, env: quick }).code).toBe(1)
      expect(listJson(home).map((t) => t.push)).toEqual(["pushed", "pending"])
    } finally {
      await receiver.close()
    }
  })

  it("a header reaches the collector and is in no file of the store, nor in the output", async () => {
    const { home, traceDir } = sandbox()
    const file = quickWorkflow(home, "secret", "echo hi")
    // The second time, the collector refuses and quotes the token back: it is not written either.
    const receiver = await Receiver.start([
      200,
      { status: 401, headers: { "content-type": "text/plain" }, body: "bad token Bearer-SECRET123" }
    ])
    try {
      const run = runVictor(
        ["workflow", "trace", file, "--otlp", receiver.url, "--otlp-header", "authorization=Bearer-SECRET123"],
        { home, env: quick }
      )
      expect(run.code).toBe(0)
      const id = listJson(home)[0]!.trace_id
      const push = runVictor(
        ["trace", "push", "last", "--endpoint", receiver.url, "--header", "authorization=Bearer-SECRET123"],
        { home, env: quick }
      )
      expect(push.code).toBe(1)
      expect(push.stderr).toBe(`victor: OTLP endpoint ${receiver.url} rejected trace ${id}: HTTP 401 Unauthorized: bad token ***\n`)
      const requests = await receiver.requests()
      expect(requests.map((r) => r.headers["authorization"])).toEqual(["Bearer-SECRET123", "Bearer-SECRET123"])
      for (const output of [run.stdout, run.stderr, push.stdout, push.stderr]) expect(output).not.toContain("SECRET123")
      const files = allFiles(traceDir)
      expect(files.some((f) => f.includes(`${join("otlp", id)}.pending.json`))).toBe(true)
      for (const f of files) expect(readFileSync(f, "utf8"), f).not.toContain("SECRET123")
    } finally {
      await receiver.close()
    }
  })

  it("OTEL_EXPORTER_OTLP_ENDPOINT and OTEL_SERVICE_NAME: pushed to <endpoint>/v1/traces with service.name, only with --otlp", async () => {
    const { home } = sandbox()
    const file = quickWorkflow(home, "envy", "echo hi")
    const receiver = await Receiver.start()
    try {
      const env = { ...quick, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.origin, OTEL_SERVICE_NAME: "billing-agent" }
      // The variables alone push nothing.
      const unasked = runVictor(["workflow", "run", file], { home, env })
      expect(unasked.code).toBe(0)
      expect(await receiver.requests()).toHaveLength(0)
      expect(listJson(home)[0]!.push).toBeNull()

      // A bare --otlp, before the file: the environment's collector.
      const run = runVictor(["workflow", "run", "--otlp", file], { home, env })
      expect(run.stderr).toBe("")
      expect(run.code).toBe(0)
      const requests = await receiver.requests()
      expect(requests.map((r) => r.path)).toEqual(["/v1/traces"])
      const decoded = OtlpProto.decode(requests[0]!.payload)
      expect(decoded.resource["service.name"]).toBe("billing-agent")
      expect(listJson(home).map((t) => t.push)).toEqual(["pushed", null])
    } finally {
      await receiver.close()
    }
  })

  it("otlp.endpoint in victor.config.json makes every run push; a bad one is exit 2 naming the file", async () => {
    const { home } = sandbox()
    const file = quickWorkflow(home, "configured", "echo hi")
    const receiver = await Receiver.start()
    try {
      writeFileSync(join(home, "victor.config.json"), JSON.stringify({ otlp: { endpoint: receiver.origin } }))
      const run = runVictor(["workflow", "run", file], { home, cwd: home, env: quick })
      expect(run.stderr).toBe("")
      expect(run.code).toBe(0)
      expect((await receiver.requests()).map((r) => r.path)).toEqual(["/v1/traces"])
      expect(listJson(home)[0]!.push).toBe("pushed")

      writeFileSync(join(home, "victor.config.json"), JSON.stringify({ otlp: { endpoint: "collector:4318" } }))
      const bad = runVictor(["workflow", "run", file], { home, cwd: home, env: quick })
      expect(bad.code).toBe(2)
      expect(bad.stderr).toBe(
        `victor: ${join(home, "victor.config.json")}: otlp.endpoint: "collector:4318" is not an http(s) URL: use e.g. http://localhost:4318\n`
      )
    } finally {
      await receiver.close()
    }
  })

  it("a ledger temp file a killed push left behind is swept; a live process's is left alone", async () => {
    const { home, traceDir } = sandbox()
    const ledger = join(traceDir, "otlp")
    mkdirSync(ledger, { recursive: true, mode: 0o700 })
    // A pid no process has (above the kernel's pid_max), and this test's own (alive).
    const dead = join(ledger, ".abc.pending.json.4194305.x1y2.tmp")
    const live = join(ledger, `.def.pending.json.${process.pid}.z3.tmp`)
    writeFileSync(dead, "{")
    writeFileSync(live, "{")
    const run = runVictor(["trace", "list"], { home })
    expect(run.code).toBe(0)
    expect(readdirSync(ledger).sort()).toEqual([`.def.pending.json.${process.pid}.z3.tmp`])
  })

  it("the ledger follows no link: a linked directory is skipped with a warning, then replaced; a linked entry too", async () => {
    const { home, traceDir } = sandbox()
    const file = quickWorkflow(home, "linked", "echo hi")
    const receiver = await Receiver.start()
    try {
      expect(runVictor(["workflow", "run", file], { home }).code).toBe(0)
      const id = listJson(home)[0]!.trace_id
      const elsewhere = join(home, "elsewhere")
      mkdirSync(elsewhere)
      writeFileSync(join(elsewhere, `${id}.pushed.json`), "planted")
      symlinkSync(elsewhere, join(traceDir, "otlp"))
      const list = runVictor(["trace", "list", "--json"], { home })
      expect(list.code).toBe(0)
      expect(list.stderr).toBe(`victor: warning: skipping ${join(traceDir, "otlp")}: it is not a real directory (a link?)\n`)
      expect((JSON.parse(list.stdout) as Array<Listed>)[0]!.push).toBeNull()

      // A push replaces the link with a directory of its own; what it pointed at is left as it was.
      const push = runVictor(["trace", "push", id, "--endpoint", receiver.url], { home, env: quick })
      expect(push.code).toBe(0)
      expect(lstatSync(join(traceDir, "otlp")).isDirectory()).toBe(true)
      expect(readdirSync(join(traceDir, "otlp"))).toEqual([`${id}.pushed.json`])
      expect(readFileSync(join(elsewhere, `${id}.pushed.json`), "utf8")).toBe("planted")

      // A link in place of an entry is replaced, never written through.
      const target = join(home, "target.txt")
      writeFileSync(target, "untouched")
      symlinkSync(target, join(traceDir, "otlp", `${id}.pending.json`))
      expect(runVictor(["trace", "push", id, "--endpoint", receiver.url], { home, env: quick }).code).toBe(0)
      expect(readFileSync(target, "utf8")).toBe("untouched")
      expect(readdirSync(join(traceDir, "otlp"))).toEqual([`${id}.pushed.json`])
      expect(listJson(home)[0]!.push).toBe("pushed")
    } finally {
      await receiver.close()
    }
  })

  it("bad OTLP input is exit 2 before anything runs", () => {
    const { home, traceDir } = sandbox()
    const file = quickWorkflow(home, "bad", "echo hi")
    const cases: Array<[ReadonlyArray<string>, string]> = [
      [["--otlp", "ftp://collector"], "victor: --otlp \"ftp://collector/\" is not an http(s) URL: use e.g. http://localhost:4318\n"],
      [["--otlp-header", "a=b"], "victor: --otlp-header applies to a push: add --otlp, e.g. --otlp --otlp-header ...\n"],
      [["--otlp", "--otlp-header", "novalue"], "victor: --otlp-header \"novalue\" is not KEY=VALUE: write it as e.g. --otlp-header \"authorization=Bearer <token>\"\n"]
    ]
    for (const [args, line] of cases) {
      const run = runVictor(["workflow", "trace", file, ...args], { home })
      expect(run.stderr, args.join(" ")).toBe(line)
      expect(run.code).toBe(2)
    }
    expect(() => statSync(traceDir)).toThrow()
  })

  it("Ctrl-C during the push leaves the trace pending", async () => {
    const { home } = sandbox()
    const file = quickWorkflow(home, "slowpush", "echo hi")
    const receiver = await Receiver.start([{ status: 200, delayMillis: 20_000 }])
    try {
      const child = spawn(process.execPath, [victorBin, "workflow", "trace", file, "--otlp", receiver.url], {
        cwd: repoRoot,
        env: { ...process.env, HOME: home, NO_COLOR: "1", ...quick }
      })
      let stderr = ""
      child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk))
      const closed = new Promise<number | null>((resolve) => child.on("close", resolve))
      while ((await receiver.requests()).length === 0) await new Promise((r) => setTimeout(r, 50))
      child.kill("SIGINT")
      expect(await closed).toBe(130)
      const id = listJson(home)[0]!.trace_id
      expect(stderr).toContain(`victor: trace ${id} stored; the push to ${receiver.url} was cancelled; send it later with: victor trace push --pending`)
      expect(listJson(home)[0]!.push).toBe("pending")
    } finally {
      await receiver.close()
    }
  })
})

describe("a cancelled run", () => {
  it("is marked pending, not pushed; exit 130", async () => {
    const { home } = sandbox()
    const file = slowWorkflow(home, 30)
    const receiver = await Receiver.start()
    try {
      const run = traceInBackground(file, { home, env: quick }, "--otlp", receiver.url)
      await run.slowToolStarted
      run.child.kill("SIGINT")
      const { code, stderr } = await run.ended
      expect(code).toBe(130)
      const [trace] = listJson(home)
      expect(trace!.push).toBe("pending")
      expect(stderr).toContain(
        `victor: trace ${trace!.trace_id} stored; not pushed to ${receiver.url} (the run was cancelled); ` +
          "send it later with: victor trace push --pending"
      )
      expect(await receiver.requests()).toHaveLength(0)
    } finally {
      await receiver.close()
    }
  })
})

describe("trace push", () => {
  it("needs traces or --pending, not both; its help names the OTEL_* variables", () => {
    const { home } = sandbox()
    const none = runVictor(["trace", "push"], { home })
    expect(none.code).toBe(2)
    expect(none.stderr).toMatch(/^victor: which traces\? .*--pending/)
    const both = runVictor(["trace", "push", "last", "--pending"], { home })
    expect(both.code).toBe(2)
    expect(both.stderr).toMatch(/^victor: give traces or --pending, not both/)
    const help = runVictor(["trace", "push", "--help"], { home }).stdout
    for (const text of ["OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_HEADERS", "OTEL_SERVICE_NAME", "--pending", "--header <K=V>..."]) {
      expect(help).toContain(text)
    }
    expect(runVictor(["workflow", "trace", "--help"], { home }).stdout).toContain("--otlp [URL]")
  })
})
