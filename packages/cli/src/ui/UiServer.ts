/**
 * `victor ui`: the trace explorer over the configured store (the one `--store` or its defaults name, as for every
 * command: `StoreLocation`), served by `@effect/platform`'s HTTP server on Node (`NodeHttpServer`) until a signal
 * stops it.
 *
 * It listens on 127.0.0.1 (a free port unless `--port`), so only this machine can reach it; `--host` binds elsewhere,
 * with a warning, since the explorer then speaks plain HTTP to whoever can reach the port. Either way every request
 * needs the random token of the printed address (`UiAccess`). The address is the one line on stdout that matters; it
 * also opens in the browser unless `--no-open`.
 *
 * Ctrl-C (or SIGTERM, SIGHUP) stops it as it stops every long-running command (`Signals`): the open connections (a
 * page's event streams never end by themselves) are closed, the server with them, and `victor` exits with 128 + the
 * signal's number (130 for Ctrl-C).
 */
import type * as FileSystem from "@effect/platform/FileSystem"
import * as HttpServer from "@effect/platform/HttpServer"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as http from "node:http"
import * as os from "node:os"
import { UsageError } from "../CliError.ts"
import * as NodeTraceStore from "../store/NodeTraceStore.ts"
import * as StderrWarnings from "../store/StderrWarnings.ts"
import * as StoreLocation from "../store/StoreLocation.ts"
import * as OpenBrowser from "./OpenBrowser.ts"
import * as StoreChanges from "./StoreChanges.ts"
import * as UiAccess from "./UiAccess.ts"
import * as UiRoutes from "./UiRoutes.ts"

/** The options of `victor ui`. */
export interface UiOptions {
  readonly traceDir: string | undefined
  readonly port: number | undefined
  readonly host: string | undefined
  readonly open: boolean
}

/** The address every interface of a machine answers on, for which the printed address names the machine instead. */
const isWildcard = (host: string) => host === "0.0.0.0" || host === "::" || host === "[::]"

/** Whether a host is this machine only. */
export const isLoopback = (host: string): boolean =>
  host === "localhost" || host === "::1" || host === "[::1]" || /^127(\.\d{1,3}){3}$/.test(host)

/** The printed address of the server: an IPv6 host in brackets, a wildcard as the machine's name. */
export const addressOf = (host: string, port: number, token: string): string => {
  const name = isWildcard(host) ? os.hostname() : host.includes(":") && !host.startsWith("[") ? `[${host}]` : host
  return `http://${name}:${port}/?${new URLSearchParams({ token }).toString()}`
}

const listenProblem = (host: string, port: number | undefined, cause: unknown): UsageError => {
  const code = typeof cause === "object" && cause !== null ? (cause as { code?: unknown }).code : undefined
  const where = port === undefined ? host : `${host}:${port}`
  const description = code === "EADDRINUSE"
    ? `--port ${port}: the port is in use; give another, or leave --port out for a free one`
    : code === "EACCES"
    ? `cannot listen on ${where}: permission denied (ports below 1024 need privileges); e.g. --port 8080`
    : code === "EADDRNOTAVAIL" || code === "ENOTFOUND" || code === "EAI_AGAIN"
    ? `--host ${host}: not an address of this machine; e.g. --host 127.0.0.1, or --host 0.0.0.0 for every interface`
    : `cannot listen on ${where}: ${cause instanceof Error ? cause.message : String(cause)}`
  return new UsageError({ description })
}

/** Serves the explorer until interrupted. */
export const run = (options: UiOptions): Effect.Effect<void, UsageError, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const port = options.port
    if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) {
      return yield* new UsageError({ description: `--port must be from 0 to 65535 (0: a free one), not ${port}` })
    }
    const host = options.host?.trim() || "127.0.0.1"
    const location = yield* StoreLocation.resolve(options.traceDir)
    const token = UiAccess.makeToken()
    // Unknown paths are 404; a defect in a route is a 500 without its details (they stay in this process).
    const app = (routes: Effect.Effect.Success<ReturnType<typeof UiRoutes.make>>) =>
      UiAccess.guard(token)(routes.pipe(
        Effect.catchAll((error) =>
          Effect.succeed(
            error._tag === "RouteNotFound"
              ? HttpServerResponse.text("not found\n", { status: 404 })
              : HttpServerResponse.text("internal error\n", { status: 500 })
          )
        ),
        Effect.catchAllDefect(() => Effect.succeed(HttpServerResponse.text("internal error\n", { status: 500 })))
      ))
    const announce = (bound: number) =>
      Effect.gen(function*() {
        const url = addressOf(host, bound, token)
        if (!isLoopback(host)) {
          yield* Effect.sync(() =>
            process.stderr.write(
              `victor: warning: --host ${host}: the explorer is reachable from other machines, over plain HTTP; ` +
                "anyone who has its address (token included) can read every trace in the store\n"
            )
          )
        }
        yield* Console.log(`Victor UI over ${StoreLocation.describe(location)}`)
        yield* Console.log(`  ${url}`)
        yield* Console.log("Ctrl-C stops it.")
        if (options.open) {
          const opened = yield* OpenBrowser.open(url)
          if (!opened) yield* Console.error("victor: no browser to open here: open the address above")
        }
      })
    const server = http.createServer()
    // The handler first, then the address: nothing is announced that could not answer yet.
    const serve = Layer.scopedDiscard(
      Effect.gen(function*() {
        const changes = location._tag === "Directory"
          ? yield* StoreChanges.watching(location.path)
          : StoreChanges.polling
        const routes = yield* UiRoutes.make({ token, store: StoreLocation.describe(location), changes })
        yield* HttpServer.serveEffect(app(routes))
        // Run before the server's own finalizer, which waits for every connection to end: event streams never do.
        yield* Effect.addFinalizer(() => Effect.sync(() => server.closeAllConnections()))
        yield* HttpServer.addressWith((address) => announce(address._tag === "TcpAddress" ? address.port : port ?? 0))
      })
    ).pipe(
      Layer.provide(
        NodeHttpServer.layer(() => server, { port: port ?? 0, host }).pipe(
          Layer.mapError((error) => listenProblem(host, port, error.cause))
        )
      ),
      Layer.provide(Layer.merge(NodeTraceStore.layerForCommand(location), StderrWarnings.layer))
    )
    return yield* Layer.launch(serve)
  })
