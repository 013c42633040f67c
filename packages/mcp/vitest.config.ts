import { defineProject } from "vitest/config"

export default defineProject({
  test: {
    name: "mcp",
    include: ["test/**/*.test.ts"],
    // Real MCP servers over stdio, started from node_modules.
    testTimeout: 30_000
  }
})
