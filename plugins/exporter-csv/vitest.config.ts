import { defineProject } from "vitest/config"

export default defineProject({ test: { name: "exporter-csv", include: ["test/**/*.test.ts"] } })
