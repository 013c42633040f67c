// The one list of test projects. vitest.config.ts reads it (Vitest 3.2 deprecates loading this file by itself).
export default [
  "packages/core",
  "packages/workflow",
  "packages/store-fs",
  "packages/store-sql",
  "packages/mcp",
  "packages/cli",
  "plugins/exporter-json",
  "plugins/exporter-csv",
  "plugins/exporter-html",
  "plugins/exporter-otlp",
  "plugins/analysis",
  "plugins/compare",
  "examples/custom-tracer-layer",
  "examples/custom-exporter-plugin",
  "examples/workflow-plugin"
]
