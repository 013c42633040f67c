/**
 * The plugin module: what `victor.config.json` names (`{"plugins": ["victor-exporter-markdown"]}`). Its default
 * export is the plugin object; Victor imports the module, checks the object and adds its exporters by name.
 */
import * as Plugin from "@victor/core/Plugin"
import * as MarkdownExporter from "./MarkdownExporter.ts"

/** The `victor-exporter-markdown` plugin: one exporter, `markdown` (`--format markdown` or `-o report.md`). */
export default Plugin.make({
  name: "victor-exporter-markdown",
  exporters: [MarkdownExporter.make()]
})
