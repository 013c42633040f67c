import { defineProject } from "vitest/config"

export default defineProject({
  test: {
    name: "cli",
    include: ["test/**/*.test.ts"],
    // The CLI is tested as users run it: the bundled binary in real subprocesses, built once up front; the SQL store
    // against a private PostgreSQL cluster started for the run.
    globalSetup: ["./test/setup/buildBundle.ts", "../store-sql/test/setup/postgres.ts"],
    testTimeout: 60_000
  }
})
