/**
 * `--store` (older name `--trace-dir`), the option every command that reads or writes traces takes: a directory or a
 * `postgres://` URL (see `store/StoreLocation.ts` for the defaults). Its value keeps the name `traceDir` in the
 * commands' options, as before the SQL store.
 */
import * as Options from "@effect/cli/Options"

/** The option, its help saying what the command does with the store. */
export const store = (what: string) =>
  Options.text("store").pipe(
    Options.withAlias("trace-dir"),
    Options.optional,
    Options.withDescription(
      `${what}: a directory, or a postgres:// URL for a store shared by many machines (its password from ` +
        "$PGPASSWORD). Defaults to $VICTOR_STORE_URL, else $VICTOR_TRACE_DIR, else \"store\" in victor.config.json, " +
        "else ~/.victor/workflow_traces. Examples: --store ./traces, --store postgres://ci@db.internal/victor"
    )
  )
