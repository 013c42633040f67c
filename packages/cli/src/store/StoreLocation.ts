/**
 * Where the CLI's traces live: a directory (the file system store, one machine) or a PostgreSQL database (the SQL
 * store, shared by many machines). Chosen by `--store` (or its older name `--trace-dir`), else `$VICTOR_STORE_URL`,
 * else `$VICTOR_TRACE_DIR`, else `store` in `victor.config.json` (relative to the file), else
 * `~/.victor/workflow_traces`. A value starting `postgres://` or `postgresql://` is a database; anything else a
 * directory.
 *
 * A database URL may carry a password: `describe` is the only way a location reaches output, and it masks it.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import { createHash } from "node:crypto"
import * as os from "node:os"
import * as nodePath from "node:path"
import type { UsageError } from "../CliError.ts"
import * as VictorConfig from "../VictorConfig.ts"

/** A store in a directory. */
export interface Directory {
  readonly _tag: "Directory"
  readonly path: string
}

/** A store in a PostgreSQL database. */
export interface Postgres {
  readonly _tag: "Postgres"
  readonly url: string
}

/** Where traces live. */
export type StoreLocation = Directory | Postgres

/** The default directory: `~/.victor/workflow_traces`. */
export const defaultDirectory = (): string => nodePath.join(os.homedir(), ".victor", "workflow_traces")

const isDatabaseUrl = (text: string): boolean => /^postgres(?:ql)?:\/\//i.test(text)

/** A location from its text: a `postgres://` / `postgresql://` URL, or a directory (relative to `base`). */
export const parse = (text: string, base: string = process.cwd()): StoreLocation =>
  isDatabaseUrl(text) ? { _tag: "Postgres", url: text } : { _tag: "Directory", path: nodePath.resolve(base, text) }

/**
 * The location the flags, the environment and the config choose, in that order (see the module comment). The config
 * file is read only when neither a flag nor a variable names the store, and not again when the caller has read it
 * (`loaded`).
 */
export const resolve = (
  flag: string | undefined,
  env: Readonly<Record<string, string | undefined>> = process.env,
  loaded?: VictorConfig.LoadedConfig
): Effect.Effect<StoreLocation, UsageError, FileSystem.FileSystem> => {
  const chosen = [flag, env["VICTOR_STORE_URL"], env["VICTOR_TRACE_DIR"]].find((value) =>
    value !== undefined && value.length > 0
  )
  if (chosen !== undefined) return Effect.succeed(parse(chosen))
  return Effect.map(loaded === undefined ? VictorConfig.load() : Effect.succeed(loaded), ({ config, directory }) =>
    config.store === undefined || config.store.length === 0
      ? { _tag: "Directory", path: defaultDirectory() }
      : parse(config.store, directory))
}

/** A database URL with its password (and any `password=` parameter) masked; anything unparsable masked whole. */
export const maskUrl = (url: string): string => {
  try {
    const parsed = new URL(url)
    if (parsed.password !== "") parsed.password = "***"
    for (const key of Array.from(parsed.searchParams.keys())) {
      if (/pass|secret|token|key/i.test(key)) parsed.searchParams.set(key, "***")
    }
    return parsed.toString()
  } catch {
    return "postgres://***"
  }
}

/** The location as output shows it: the directory, or the database URL with its password masked. */
export const describe = (location: StoreLocation): string =>
  location._tag === "Directory" ? location.path : maskUrl(location.url)

/**
 * The directory of the files a store of this location keeps beside its traces on this machine (the OTLP push
 * ledger): the store's own directory, or, for a database, `~/.victor/stores/<hash of the masked URL>`, so that the
 * push state of a shared store is this machine's own.
 */
export const localDirectory = (location: StoreLocation): string =>
  location._tag === "Directory"
    ? location.path
    : nodePath.join(
      os.homedir(),
      ".victor",
      "stores",
      createHash("sha256").update(maskUrl(location.url)).digest("hex").slice(0, 16)
    )
