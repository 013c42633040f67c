import { defineProject } from "vitest/config"

export default defineProject({ test: { name: "custom-exporter-plugin", include: ["test/**/*.test.ts"] } })
