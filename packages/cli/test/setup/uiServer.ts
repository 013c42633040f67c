// Runs the real `victor ui` in a subprocess (the bundled binary, a private HOME, never opening a browser) and hands
// the test its printed address; `stop` sends a signal and waits for the exit. Servers a test left running are stopped
// when the test file ends.
import { type ChildProcess, spawn } from "node:child_process"
import { victorBin, repoRoot } from "./runVictor.ts"

export interface UiServer {
  /** The address printed, with the token: `http://127.0.0.1:PORT/?token=...`. */
  readonly url: string
  /** `http://127.0.0.1:PORT`. */
  readonly origin: string
  readonly token: string
  readonly child: ChildProcess
  readonly stdout: () => string
  readonly stderr: () => string
  /** An address of the server with the token. */
  readonly at: (path: string, params?: Record<string, string>) => string
  /** Sends a signal (SIGINT by default) and resolves with how the process ended and how long it took. */
  readonly stop: (signal?: NodeJS.Signals) => Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>
}

const running = new Set<ChildProcess>()
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL")
})

/** Stops every server still running (for `afterAll`). */
export const stopAll = async () => {
  await Promise.all(Array.from(running, (child) =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve()
      child.once("exit", () => resolve())
      child.kill("SIGKILL")
    })))
}

/** The test's environment without VICTOR_* settings, with the sandbox's HOME, no colours and no display. */
export const uiEnvironment = (home: string, extra: Record<string, string> = {}): Record<string, string> => {
  const env: Record<string, string> = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith("VICTOR_") && key !== "DISPLAY" && key !== "WAYLAND_DISPLAY") {
      env[key] = value
    }
  }
  return { ...env, HOME: home, NO_COLOR: "1", ...extra }
}

/** Starts `victor ui ARGS --no-open` and waits until it prints its address (or fails on exit or after 20 s). */
export const startUi = (
  args: ReadonlyArray<string>,
  options: { readonly home: string; readonly env?: Record<string, string> }
): Promise<UiServer> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [victorBin, "ui", "--no-open", ...args], {
      cwd: repoRoot,
      env: uiEnvironment(options.home, options.env),
      stdio: ["ignore", "pipe", "pipe"]
    })
    running.add(child)
    let stdout = ""
    let stderr = ""
    let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined
    const exitWaiters: Array<() => void> = []
    child.once("exit", (code, signal) => {
      running.delete(child)
      exited = { code, signal }
      for (const waiter of exitWaiters) waiter()
      if (!settled) {
        settled = true
        clearTimeout(timer)
        reject(new Error(`victor ui exited (${code ?? signal}) before printing its address:\n${stdout}\n${stderr}`))
      }
    })
    let settled = false
    const timer = setTimeout(() => {
      if (settled) return
      settled = true
      child.kill("SIGKILL")
      reject(new Error(`victor ui printed no address in 20 s:\n${stdout}\n${stderr}`))
    }, 20_000)
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk))
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk
      const match = /http:\/\/\S+\/\?token=\S+/.exec(stdout)
      if (match === null || settled) return
      settled = true
      clearTimeout(timer)
      const url = match[0]
      const parsed = new URL(url)
      const token = parsed.searchParams.get("token")!
      resolve({
        url,
        origin: parsed.origin,
        token,
        child,
        stdout: () => stdout,
        stderr: () => stderr,
        at: (path, params = {}) => `${parsed.origin}${path}?${new URLSearchParams({ ...params, token }).toString()}`,
        stop: (signal = "SIGINT") =>
          new Promise((done) => {
            const started = Date.now()
            const finish = () => done({ ...exited!, ms: Date.now() - started })
            if (exited !== undefined) return finish()
            exitWaiters.push(finish)
            child.kill(signal)
          })
      })
    })
  })
