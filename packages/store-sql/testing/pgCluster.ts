/**
 * A private PostgreSQL cluster for tests and benchmarks (Node only): `initdb` into a fresh temp directory, started
 * with `pg_ctl` on a free loopback port and a Unix socket inside that directory, stopped (`pg_ctl stop -m fast`) and
 * deleted at the end. As root, the server refuses to run, so the binaries run as the `postgres` user on a directory
 * given to it. Binaries are looked up in PATH, then in `/usr/lib/postgresql/<version>/bin` (newest first); run
 * `node scripts/ensure-postgres.mjs` to install them.
 *
 * Authentication is `trust` for everyone on loopback except members of the role `victor_password_auth`, who must
 * give their password (scram-sha-256): tests of a wrong password need one role that really checks it.
 *
 * `freshDatabase` makes an empty database with a random name for one test (dropped when its scope closes).
 */
import * as SqlClient from "@effect/sql/SqlClient"
import * as PgClient from "@effect/sql-pg/PgClient"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import { execFileSync, spawnSync } from "node:child_process"
import { randomBytes } from "node:crypto"
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { delimiter, join } from "node:path"

/** The role whose members must authenticate with a password (see the module's header). */
export const PASSWORD_AUTH_ROLE = "victor_password_auth"

/** The superuser of a private cluster (no password: `trust` on loopback). */
export const SUPERUSER = "victor"

/** Where the PostgreSQL server binaries are. */
export interface Binaries {
  readonly initdb: string
  readonly pgCtl: string
}

/** The server binaries: from PATH, else the newest `/usr/lib/postgresql/<version>/bin`; undefined when missing. */
export const findBinaries = (): Binaries | undefined => {
  const inDir = (dir: string): Binaries | undefined => {
    const initdb = join(dir, "initdb")
    const pgCtl = join(dir, "pg_ctl")
    return existsSync(initdb) && existsSync(pgCtl) ? { initdb, pgCtl } : undefined
  }
  for (const dir of (process.env["PATH"] ?? "").split(delimiter)) {
    if (dir === "") continue
    const found = inDir(dir)
    if (found !== undefined) return found
  }
  const root = "/usr/lib/postgresql"
  const versions = existsSync(root)
    ? readdirSync(root).filter((v) => /^\d+(\.\d+)?$/.test(v)).sort((a, b) => Number(b) - Number(a))
    : []
  for (const version of versions) {
    const found = inDir(join(root, version, "bin"))
    if (found !== undefined) return found
  }
  return undefined
}

/** A running private cluster. */
export interface PgCluster {
  /** The superuser's URL of its `postgres` database: `postgres://victor@127.0.0.1:<port>/postgres`. */
  readonly url: string
  readonly port: number
  readonly directory: string
  /** Stops the server and deletes its directory; safe to call twice. */
  readonly stop: () => void
}

/** Settings of a private cluster. */
export interface StartOptions {
  /** Server settings (`-c name=value`); defaults: max_connections 300, and for tests fsync and friends off. */
  readonly settings?: Readonly<Record<string, string | number>>
  /** Keep fsync on (a benchmark measures durable writes); default false (tests need no durability). */
  readonly durable?: boolean
}

const isRoot = () => typeof process.getuid === "function" && process.getuid() === 0

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.on("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() =>
        typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("no port"))
      )
    })
  })

// A command line quoted for `su -c`.
const shellQuote = (args: ReadonlyArray<string>) => args.map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" ")

/** Runs a server binary: as the `postgres` user when we are root (the server refuses to run as root). */
const runServerBinary = (args: ReadonlyArray<string>, cwd: string) => {
  const [command, ...rest] = args as [string, ...Array<string>]
  if (!isRoot()) return execFileSync(command, rest, { cwd, stdio: ["ignore", "pipe", "pipe"], encoding: "utf8" })
  const runuser = spawnSync("runuser", ["-u", "postgres", "--", command, ...rest], {
    cwd,
    stdio: ["ignore", "pipe", "pipe"],
    encoding: "utf8"
  })
  if (runuser.error === undefined && runuser.status === 0) return runuser.stdout
  if (runuser.error === undefined && runuser.status !== 127 && runuser.status !== 126) {
    throw new Error(`${command} failed (${runuser.status}): ${runuser.stderr}`)
  }
  return execFileSync("su", ["postgres", "-s", "/bin/sh", "-c", shellQuote(args)], {
    cwd,
    stdio: ["ignore", "pipe", "pipe"],
    encoding: "utf8"
  })
}

const describeFailure = (error: unknown) => {
  const e = error as { readonly stderr?: unknown; readonly message?: unknown }
  return typeof e.stderr === "string" && e.stderr !== "" ? e.stderr.trim() : String(e.message ?? error)
}

/** Starts a private cluster; throws with what to do when the binaries are missing. */
export const start = async (options: StartOptions = {}): Promise<PgCluster> => {
  const binaries = findBinaries()
  if (binaries === undefined) {
    throw new Error(
      "PostgreSQL server binaries (initdb, pg_ctl) not found in PATH or /usr/lib/postgresql/*/bin: " +
        "run `node scripts/ensure-postgres.mjs` (Debian/Ubuntu: apt-get install -y postgresql), " +
        "or set VICTOR_TEST_PG_URL to a server the tests may create databases on"
    )
  }
  const directory = mkdtempSync(join(tmpdir(), "victor-pg-"))
  const data = join(directory, "data")
  let stopped = false
  const stop = () => {
    if (stopped) return
    stopped = true
    try {
      runServerBinary([binaries.pgCtl, "-D", data, "stop", "-m", "fast", "-w"], directory)
    } catch {
      // Not running (it failed to start): nothing to stop.
    }
    rmSync(directory, { recursive: true, force: true })
  }
  try {
    if (isRoot()) {
      const ids = execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim()
      const gid = execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim()
      chownSync(directory, Number(ids), Number(gid))
    }
    runServerBinary(
      [binaries.initdb, "-D", data, "-A", "trust", "-U", SUPERUSER, "-E", "UTF8", "--locale=C", "--no-sync"],
      directory
    )
    writeFileSync(
      join(data, "pg_hba.conf"),
      [
        "local all all trust",
        `host all +${PASSWORD_AUTH_ROLE} 127.0.0.1/32 scram-sha-256`,
        "host all all 127.0.0.1/32 trust",
        ""
      ].join("\n")
    )
    const settings: Record<string, string | number> = {
      max_connections: 300,
      listen_addresses: "127.0.0.1",
      unix_socket_directories: directory,
      ...(options.durable === true ? {} : { fsync: "off", synchronous_commit: "off", full_page_writes: "off" }),
      ...options.settings
    }
    const flags = Object.entries(settings).map(([name, value]) => `-c ${name}=${value}`).join(" ")
    // A port found free can be taken before the server binds it: then another one.
    for (let attempt = 0;; attempt++) {
      const port = await freePort()
      try {
        runServerBinary(
          [binaries.pgCtl, "-D", data, "-l", join(directory, "server.log"), "-o", `-p ${port} ${flags}`, "start", "-w", "-t", "60"],
          directory
        )
        return { url: `postgres://${SUPERUSER}@127.0.0.1:${port}/postgres`, port, directory, stop }
      } catch (error) {
        if (attempt >= 2) throw error
      }
    }
  } catch (error) {
    stop()
    throw new Error(`cannot start a private PostgreSQL cluster: ${describeFailure(error)}`)
  }
}

/** The URL of another database on the same server as a URL. */
export const withDatabase = (url: string, database: string): string => {
  const parsed = new URL(url)
  parsed.pathname = `/${database}`
  return parsed.toString()
}

/** Runs statements on the server of a URL (a short-lived connection). */
export const runStatements = (
  url: string,
  statements: ReadonlyArray<string>
): Effect.Effect<void, unknown> =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    for (const statement of statements) yield* sql.unsafe(statement).raw
  }).pipe(Effect.provide(PgClient.layer({ url: Redacted.make(url), maxConnections: 1 })))

/**
 * An empty database with a random name on the server of `adminUrl` (a role that may create databases), for one
 * test; dropped, with any connection still open to it, when the scope closes. Gives its URL.
 */
export const freshDatabase = (adminUrl: string): Effect.Effect<string, unknown, Scope.Scope> => {
  const name = `victor_test_${randomBytes(6).toString("hex")}`
  return Effect.acquireRelease(
    Effect.as(runStatements(adminUrl, [`CREATE DATABASE ${name}`]), withDatabase(adminUrl, name)),
    () => Effect.ignore(runStatements(adminUrl, [`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`]))
  )
}

/** A `PgClient` layer on a URL, for tests that look into the tables. */
export const clientLayer = (url: string): Layer.Layer<PgClient.PgClient | SqlClient.SqlClient, unknown> =>
  PgClient.layer({ url: Redacted.make(url) })
