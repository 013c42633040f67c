/**
 * `victor ui`, as the command tree knows it: its options and help. What it does is in `UiServer`, loaded only when
 * the command runs (so that `victor --help` never loads the HTTP server).
 */
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as StoreOption from "../StoreOption.ts"

const port = Options.integer("port").pipe(
  Options.optional,
  Options.withDescription(
    "The port to listen on; without it a free one is picked (and printed). Example: --port 8080"
  )
)

const host = Options.text("host").pipe(
  Options.optional,
  Options.withDescription(
    "The address to listen on instead of 127.0.0.1 (this machine only). Any other address is reachable from other " +
      "machines over plain HTTP, so victor warns; the token is still required. Example: --host 0.0.0.0"
  )
)

const noOpen = Options.boolean("no-open").pipe(
  Options.withDescription(
    "Print the address without opening it in a browser (by default it opens where there is a display). " +
      "Example: victor ui --no-open"
  )
)

/** `victor ui`. */
export const uiCommand = Command.make(
  "ui",
  { traceDir: StoreOption.store("The store to explore"), port, host, noOpen },
  (options) =>
    Effect.flatMap(Effect.promise(() => import("./UiServer.ts")), (server) =>
      server.run({
        traceDir: Option.getOrUndefined(options.traceDir),
        port: Option.getOrUndefined(options.port),
        host: Option.getOrUndefined(options.host),
        open: !options.noOpen
      }))
).pipe(
  Command.withDescription(
    "Explore the stored traces in a browser: the history with filters (workflow, status, time, text) and a " +
      "sparkline of durations per workflow; each trace's HTML report; two traces compared; and running traces, " +
      "whose nodes update as their runs go on, in this process or another. Serves on 127.0.0.1 at a free port and " +
      "prints the address, with a random token every request needs (it opens in the browser unless --no-open); " +
      "Ctrl-C stops it (exit code 130). Examples: victor ui ; victor ui --store ./traces --port 8080 --no-open ; " +
      "victor ui --store postgres://ci@db.internal/victor"
  )
)
