import { defineProject } from "vitest/config"

export default defineProject({ test: { name: "exporter-html", include: ["test/**/*.test.ts"] } })
