import { defineProject } from "vitest/config"

export default defineProject({ test: { name: "exporter-otlp", include: ["test/**/*.test.ts"] } })
