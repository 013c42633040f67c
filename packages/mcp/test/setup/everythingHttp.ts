/**
 * The reference "everything" MCP server over streamable HTTP, for tests: started from node_modules with this Node on
 * a free port (`PORT`), behind a loopback proxy that records the method, path and headers of every request it
 * forwards, so a test can see what reached the server. Also the paths of the reference servers' entry scripts, which
 * tests of other packages (the CLI's) cannot resolve from where they are.
 */
import { type ChildProcess, spawn } from "node:child_process"
import * as http from "node:http"
import { createRequire } from "node:module"
import * as net from "node:net"
import { dirname, join } from "node:path"

const require = createRequire(import.meta.url)

/** A package's bin script, run with this Node: no npx, no network. */
const bin = (name: string) => join(dirname(require.resolve(`${name}/package.json`)), "dist/index.js")

/** `@modelcontextprotocol/server-filesystem`'s entry script (args: the directories it may use). */
export const filesystemServer = bin("@modelcontextprotocol/server-filesystem")

/** `@modelcontextprotocol/server-everything`'s entry script (arg: `stdio` or `streamableHttp`). */
export const everythingServer = bin("@modelcontextprotocol/server-everything")

/** A request the proxy forwarded. */
export interface SeenRequest {
  readonly method: string
  readonly path: string
  readonly headers: http.IncomingHttpHeaders
}

/** A running server: its URL (the proxy's), what reached it, and how to stop both. */
export interface EverythingHttp {
  readonly url: string
  readonly requests: ReadonlyArray<SeenRequest>
  readonly stop: () => Promise<void>
}

/** A port nothing listens on right now (bound on loopback, then released). */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address() as net.AddressInfo
      server.close(() => resolve(address.port))
    })
  })

const listening = (child: ChildProcess, port: number): Promise<void> =>
  new Promise((resolve, reject) => {
    let output = ""
    const timer = setTimeout(() => reject(new Error(`everything server did not listen on ${port}: ${output}`)), 15_000)
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
      output += chunk
      if (output.includes(`listening on port ${port}`)) {
        clearTimeout(timer)
        resolve()
      }
    })
    child.once("exit", (code) => {
      clearTimeout(timer)
      reject(new Error(`everything server exited (${code}): ${output}`))
    })
  })

/** Starts the server and its recording proxy; `stop` ends both. */
export const startEverythingHttp = async (): Promise<EverythingHttp> => {
  const port = await freePort()
  const child = spawn(process.execPath, [everythingServer, "streamableHttp"], {
    env: { ...process.env, PORT: String(port) },
    stdio: ["ignore", "ignore", "pipe"]
  })
  try {
    await listening(child, port)
  } catch (error) {
    child.kill("SIGKILL")
    throw error
  }
  const requests: Array<SeenRequest> = []
  const proxy = http.createServer((request, response) => {
    requests.push({ method: request.method ?? "", path: request.url ?? "", headers: request.headers })
    const upstream = http.request(
      { host: "127.0.0.1", port, path: request.url, method: request.method, headers: request.headers },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(response)
      }
    )
    upstream.on("error", () => response.destroy())
    request.pipe(upstream)
  })
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve))
  const proxyPort = (proxy.address() as net.AddressInfo).port
  return {
    url: `http://127.0.0.1:${proxyPort}/mcp`,
    requests,
    stop: async () => {
      proxy.closeAllConnections()
      await new Promise<void>((resolve) => proxy.close(() => resolve()))
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve))
        child.kill("SIGTERM")
        await exited
      }
    }
  }
}
