import { defineProject } from "vitest/config"

export default defineProject({
  test: {
    name: "store-sql",
    include: ["test/**/*.test.ts"],
    // A private PostgreSQL cluster for the whole run; each test makes its own database on it.
    globalSetup: ["./test/setup/postgres.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000
  }
})
