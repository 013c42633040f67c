import { defineProject } from "vitest/config"

export default defineProject({ test: { name: "compare", include: ["test/**/*.test.ts"] } })
