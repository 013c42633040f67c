import { defineProject } from "vitest/config"

export default defineProject({ test: { name: "exporter-json", include: ["test/**/*.test.ts"] } })
