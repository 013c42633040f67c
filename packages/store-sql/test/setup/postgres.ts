// Starts the private PostgreSQL cluster the store-sql tests run against (or uses VICTOR_TEST_PG_URL, a server where
// the tests may create databases), and hands its URL to the tests: `inject("victorPgUrl")`.
import type { TestProject } from "vitest/node"
import * as PgCluster from "../../testing/pgCluster.ts"

declare module "vitest" {
  export interface ProvidedContext {
    /** A superuser URL of the test server's `postgres` database. */
    victorPgUrl: string
    /** Whether the server is the private cluster (whose roles in `PASSWORD_AUTH_ROLE` must give a password). */
    victorPgPrivate: boolean
  }
}

export default async function setup(project: TestProject) {
  const external = process.env["VICTOR_TEST_PG_URL"]
  if (external !== undefined && external !== "") {
    project.provide("victorPgUrl", external)
    project.provide("victorPgPrivate", false)
    return
  }
  const cluster = await PgCluster.start()
  // A test run killed half-way still leaves no server behind.
  const onExit = () => cluster.stop()
  process.once("exit", onExit)
  project.provide("victorPgUrl", cluster.url)
  project.provide("victorPgPrivate", true)
  return () => {
    process.off("exit", onExit)
    cluster.stop()
  }
}
