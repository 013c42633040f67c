// Traces for the report's tests, screenshots and benchmark: a small code-review run with everything the report
// shows (an agent's model calls and tool calls, a parallel node and its children, a sub-workflow, failures), and a
// generator of big runs of the same shape.
import type { ExecutionEvent } from "@victor/core/ExecutionEvent"
import type { NodeTraceRecord, ToolCallRecord, WorkflowTrace } from "@victor/core/WorkflowTrace"

export const t0 = 1_700_000_000

/** Prices for the sample's models, per million tokens. */
export const prices = {
  "gpt-4o": { input: 2.5, output: 10 },
  "gpt-4o-mini": { input: 0.15, output: 0.6 },
  "claude-sonnet-4": { input: 3, output: 15 }
}

interface ModelTurn {
  readonly model: string
  readonly at: number
  readonly duration: number
  readonly input: number
  readonly output: number
  readonly finish?: string
}

const tool = (
  toolName: string,
  at: number,
  duration: number,
  inputs: Record<string, unknown>,
  outputs: Record<string, unknown>,
  error: string | null = null
): ToolCallRecord => ({
  toolName,
  inputs: inputs as ToolCallRecord["inputs"],
  outputs: outputs as ToolCallRecord["outputs"],
  durationSeconds: duration,
  success: error === null,
  error,
  timestamp: t0 + at
})

/** A node record, its model calls in `metadata.model_calls` and their `model_call_completed` events. */
export const record = (
  events: Array<ExecutionEvent>,
  nodeId: string,
  nodeType: string,
  at: number,
  duration: number,
  options: {
    readonly inputs?: Record<string, unknown>
    readonly outputs?: Record<string, unknown>
    readonly tools?: ReadonlyArray<ToolCallRecord>
    readonly models?: ReadonlyArray<ModelTurn>
    readonly error?: string
    readonly metadata?: Record<string, unknown>
  } = {}
): NodeTraceRecord => {
  const models = options.models ?? []
  models.forEach((turn, k) =>
    events.push({
      eventType: "model_call_completed",
      timestamp: t0 + turn.at + turn.duration,
      nodeId,
      durationSeconds: turn.duration,
      data: { model: turn.model, input_tokens: turn.input, output_tokens: turn.output, finish_reason: turn.finish ?? "stop", turn: k + 1 }
    })
  )
  return {
    nodeId,
    nodeType,
    timestamp: t0 + at,
    durationSeconds: duration,
    success: options.error === undefined,
    error: options.error ?? null,
    inputs: (options.inputs ?? {}) as NodeTraceRecord["inputs"],
    outputs: (options.outputs ?? {}) as NodeTraceRecord["outputs"],
    toolCalls: options.tools ?? [],
    metadata: {
      iteration: 1,
      ...(models.length === 0
        ? {}
        : {
          model_calls: models.map((turn, k) => ({
            turn: k + 1,
            model: turn.model,
            input_tokens: turn.input,
            output_tokens: turn.output,
            finish_reason: turn.finish ?? "stop",
            duration_seconds: turn.duration
          }))
        }),
      ...options.metadata
    } as NodeTraceRecord["metadata"]
  }
}

/**
 * A code review: `plan` (an agent: two model calls, a tool call), `checks` (parallel: `lint`, `tests` and
 * `security`, an agent whose grep fails), `route` (a condition), `fix` (a sub-workflow), `summarize` (an agent) and
 * `notify`, which fails. Strings can be swapped for hostile ones through `name`.
 */
export const reviewRun = (name: (text: string) => string = (text) => text): WorkflowTrace => {
  const events: Array<ExecutionEvent> = [{ eventType: "workflow_started", timestamp: t0 }]
  const nodes = [
    record(events, name("plan"), "agent", 0, 2.1, {
      inputs: { goal: name("Review the pull request and plan the checks"), role: "reviewer" },
      outputs: { response: name("Run lint, tests and a security scan"), success: true },
      models: [
        { model: name("gpt-4o"), at: 0.05, duration: 1.1, input: 1840, output: 212, finish: "tool_calls" },
        { model: "gpt-4o", at: 1.4, duration: 0.65, input: 2105, output: 388 }
      ],
      tools: [tool(name("read_file"), 1.18, 0.2, { path: name("src/server.ts") }, { bytes: 18_223 })]
    }),
    record(events, "lint", "compute", 2.25, 1.15, {
      tools: [tool("shell", 2.27, 1.1, { command: "pnpm lint" }, { exit_code: 0 })],
      outputs: { warnings: 3 }
    }),
    record(events, "security", "agent", 2.3, 2.9, {
      inputs: { goal: "Look for injection and secrets" },
      outputs: { response: "No secrets found; one unsafe innerHTML", success: true },
      models: [
        { model: "claude-sonnet-4", at: 2.32, duration: 1.3, input: 3120, output: 140, finish: "tool_calls" },
        { model: "claude-sonnet-4", at: 4.05, duration: 1.1, input: 3390, output: 512 }
      ],
      tools: [
        tool("grep", 3.65, 0.12, { pattern: "innerHTML" }, { matches: 1 }),
        tool("grep", 3.8, 0.2, { pattern: "AKIA[0-9A-Z]{16}" }, {}, "grep: invalid regular expression")
      ]
    }),
    record(events, "tests", "compute", 2.25, 5.2, {
      tools: [tool("shell", 2.27, 5.15, { command: "pnpm test" }, { exit_code: 0, passed: 412 })],
      outputs: { passed: 412, failed: 0 }
    }),
    record(events, "checks", "parallel", 2.2, 5.3, {
      inputs: { parallel_nodes: ["lint", "tests", "security"], join_strategy: "all", concurrency: "unbounded" },
      outputs: { lint: "succeeded", tests: "succeeded", security: "succeeded" }
    }),
    record(events, "route", "condition", 7.55, 0.004, { inputs: { condition: "warnings > 0" }, outputs: { value: "true" } }),
    record(events, "fix", "workflow", 7.6, 3.4, {
      inputs: { workflow: "apply-fix", context: { warnings: 3 } },
      outputs: { status: "succeeded" },
      metadata: { child_trace_id: name("3f9c2a71e4b04d1c9a55e0c0d1f4b2aa"), child_workflow: "apply-fix" }
    }),
    record(events, "summarize", "agent", 11.1, 1.6, {
      inputs: { goal: "Summarize the review" },
      outputs: { response: "Approved with 3 lint warnings fixed", success: true },
      models: [{ model: "gpt-4o-mini", at: 11.15, duration: 1.5, input: 2600, output: 420 }]
    }),
    record(events, "notify", "compute", 12.75, 0.3, {
      tools: [tool("http_post", 12.76, 0.28, { url: "https://hooks.example.com/review" }, {}, name("webhook returned 503"))],
      error: name("webhook returned 503")
    })
  ]
  return {
    schemaVersion: 1,
    traceId: "0b7d5e2c9f1a4c3e8d6b2a1f0e9c8d7b",
    workflowName: name("code-review"),
    status: "failed",
    startTime: t0,
    endTime: t0 + 13.1,
    durationSeconds: 13.1,
    error: name("node 'notify' failed: webhook returned 503"),
    inputs: { pull_request: 1234, repository: "acme/server" },
    outputs: {},
    metadata: { host: "ci-runner-7" },
    parentTraceId: null,
    traceParent: null,
    nodes,
    events
  }
}

/**
 * A run of `count` node records in groups of five: an agent (one model call, one tool call), then a parallel node
 * whose three compute children (one tool call each) overlap; one record in 97 fails. About 2 rows per record.
 */
export const bigRun = (count: number): WorkflowTrace => {
  const events: Array<ExecutionEvent> = []
  const nodes: Array<NodeTraceRecord> = []
  let clock = 0
  for (let i = 0; nodes.length < count; i++) {
    const group = `g${i}`
    const fail = (n: number) => (n % 97 === 0 ? `failure ${n}` : undefined)
    const agent = nodes.length
    nodes.push(record(events, `${group}_agent`, "agent", clock, 0.04, {
      inputs: { index: agent },
      models: [{ model: i % 2 === 0 ? "gpt-4o" : "gpt-4o-mini", at: clock + 0.001, duration: 0.02, input: 900 + (i % 300), output: 120 }],
      tools: [tool("read", clock + 0.025, 0.01, { path: `src/file_${i}.ts` }, { bytes: i })],
      ...(fail(agent) === undefined ? {} : { error: fail(agent)! })
    }))
    clock += 0.041
    const children = [`${group}_a`, `${group}_b`, `${group}_c`]
    const start = clock
    for (let c = 0; c < 3 && nodes.length < count - 1; c++) {
      const index = nodes.length
      nodes.push(record(events, children[c]!, "compute", start + 0.001, 0.01 + c * 0.005, {
        inputs: { index },
        tools: [tool("shell", start + 0.002, 0.008 + c * 0.005, { command: `check ${c}` }, { ok: true })],
        ...(fail(index) === undefined ? {} : { error: fail(index)! })
      }))
    }
    if (nodes.length < count) {
      nodes.push(record(events, `${group}_fan`, "parallel", start, 0.027, {
        inputs: { parallel_nodes: children, join_strategy: "all", concurrency: "unbounded" }
      }))
    }
    clock = start + 0.028
  }
  return {
    schemaVersion: 1,
    traceId: "big",
    workflowName: "big",
    status: "failed",
    startTime: t0,
    endTime: t0 + clock,
    durationSeconds: clock,
    error: null,
    inputs: {},
    outputs: {},
    metadata: {},
    parentTraceId: null,
    traceParent: null,
    nodes,
    events
  }
}
