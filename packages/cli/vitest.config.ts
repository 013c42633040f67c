import { defineProject } from "vitest/config"

export default defineProject({
  test: {
    name: "cli",
    include: ["test/**/*.test.ts"],
    // The CLI is tested as users run it: the bundled binary in real subprocesses, built once up front.
    globalSetup: ["./test/setup/buildBundle.ts"],
    testTimeout: 60_000
  }
})
