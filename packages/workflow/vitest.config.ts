import { defineProject } from "vitest/config"

export default defineProject({ test: { name: "workflow", include: ["test/**/*.test.ts"] } })
