// A store on a full disk, for real: a 256 KiB tmpfs mounted in a private mount namespace (`unshare -rm`, which needs no
// privileges where unprivileged user namespaces are allowed, and leaves no mount behind), and a run whose tool prints
// more than fits.
import { describe, expect, it } from "@effect/vitest"
import { spawnSync } from "node:child_process"
import { mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { repoRoot, sandbox, victorBin } from "./setup/runVictor.ts"

const quote = (text: string) => `'${text.replaceAll("'", "'\\''")}'`

describe("a full disk", () => {
  it("fails the store with an error naming the file, keeps what was journaled, and still writes the -o export", () => {
    const { home } = sandbox()
    const disk = join(home, "disk")
    mkdirSync(disk)
    const store = join(disk, "traces")
    const file = join(home, "big.yaml")
    writeFileSync(file, [
      "name: big",
      "nodes:",
      "  - id: first",
      "    type: transform",
      "    transform: x = 1",
      "  - id: dump",
      "    type: compute",
      "    tools: [shell]",
      "    inputs: { command: \"head -c 600000 /dev/zero | tr '\\\\0' x\" }"
    ].join("\n"))
    const out = join(home, "export.json")
    const victor = (args: string) => `${quote(process.execPath)} ${quote(victorBin)} ${args} --trace-dir ${quote(store)}`
    const script = [
      `mount -t tmpfs -o size=256k tmpfs ${quote(disk)} || exit 99`,
      `${victor(`workflow trace ${quote(file)} -o ${quote(out)}`)} >/dev/null`,
      "echo \"exit=$?\" >&2",
      victor("trace list --json")
    ].join("\n")
    const run = spawnSync("unshare", ["-rm", "sh", "-c", script], {
      cwd: repoRoot,
      env: { ...process.env, HOME: home, NO_COLOR: "1" },
      encoding: "utf8",
      timeout: 60_000
    })
    expect(run.status, `could not mount a tmpfs in a private namespace: ${run.stderr}`).not.toBe(99)
    expect(run.stderr).toMatch(
      new RegExp(`the trace could not be stored: cannot write blob ${store}/blobs/[0-9a-f]{64}: no space left on device`)
    )
    expect(run.stderr).toContain("exit=2")
    // The export does not depend on the store: it is complete, the big output included.
    const exported = JSON.parse(readFileSync(out, "utf8")) as {
      status: string
      nodes: Array<{ node_id: string; tool_calls: Array<{ outputs: { stdout: string } }> }>
    }
    expect(exported.status).toBe("succeeded")
    expect(exported.nodes.map((n) => n.node_id)).toEqual(["first", "dump"])
    expect(exported.nodes[1]!.tool_calls[0]!.outputs.stdout).toHaveLength(600_000)
    // What the journal held before the disk filled is recovered: the finished node, and the one that was running.
    const listed = JSON.parse(run.stdout) as Array<{ status: string; node_count: number; failed_node_count: number }>
    expect(listed).toEqual([expect.objectContaining({ status: "incomplete", node_count: 2, failed_node_count: 1 })])
  }, 60_000)
})
