// Makes sure the SQL store's tests have PostgreSQL server binaries (initdb, pg_ctl): they start a private cluster of
// their own (packages/store-sql/testing/pgCluster.ts), in PATH or in /usr/lib/postgresql/<version>/bin. Installs
// Debian's `postgresql` package with apt-get when they are missing and this user may; otherwise says what to do and
// fails, so that a missing server is never mistaken for a failing store.
import { execFileSync } from "node:child_process"
import { existsSync, readdirSync } from "node:fs"
import { delimiter, join } from "node:path"

const hasBinaries = (dir) => existsSync(join(dir, "initdb")) && existsSync(join(dir, "pg_ctl"))

const find = () => {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) if (dir !== "" && hasBinaries(dir)) return dir
  const root = "/usr/lib/postgresql"
  if (!existsSync(root)) return undefined
  const versions = readdirSync(root).filter((v) => /^\d+(\.\d+)?$/.test(v)).sort((a, b) => Number(b) - Number(a))
  for (const version of versions) if (hasBinaries(join(root, version, "bin"))) return join(root, version, "bin")
  return undefined
}

if (find() !== undefined) process.exit(0)

const isRoot = typeof process.getuid === "function" && process.getuid() === 0
if (!isRoot || !existsSync("/usr/bin/apt-get")) {
  console.error(
    "PostgreSQL server binaries (initdb, pg_ctl) not found in PATH or /usr/lib/postgresql/*/bin: install them " +
      "(Debian/Ubuntu: sudo apt-get install -y postgresql; macOS: brew install postgresql), or run the SQL store's " +
      "tests against a server of yours with VICTOR_TEST_PG_URL=postgres://user@host:5432/postgres (a role that may " +
      "create databases)"
  )
  process.exit(1)
}
console.error("PostgreSQL server binaries not found: installing Debian's postgresql (about a minute)")
const run = (args) =>
  execFileSync("apt-get", args, {
    stdio: ["ignore", "inherit", "inherit"],
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" }
  })
run(["update", "-qq"])
run(["install", "-y", "-qq", "--no-install-recommends", "postgresql"])
if (find() === undefined) {
  console.error("apt-get installed postgresql, but initdb and pg_ctl are still missing from /usr/lib/postgresql/*/bin")
  process.exit(1)
}
