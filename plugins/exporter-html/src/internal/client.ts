/**
 * The report page's script: plain browser JavaScript kept as text and inlined into the page (whose policy allows it
 * by its hash), in one function scope, split by concern:
 *
 * - `client/base.ts`: helpers and number formats;
 * - `client/model.ts`: the embedded data as rows, the tree, filters and the rows shown;
 * - `client/rows.ts`: the virtual rows of the tree and the waterfall, the tree's keyboard;
 * - `client/timeline.ts`: the time window, bars, axis, minimap, zoom and pan;
 * - `client/details.ts`: the details panel;
 * - `client/main.ts`: selection, deep links, filters, start-up.
 *
 * Values reach the page only through `textContent` and attributes, never as markup.
 */
import { base } from "./client/base.ts"
import { details } from "./client/details.ts"
import { main } from "./client/main.ts"
import { model } from "./client/model.ts"
import { rows } from "./client/rows.ts"
import { timeline } from "./client/timeline.ts"

/** The script, as it goes into the page. */
export const script = `(function () {
"use strict";
${base}${model}${rows}${timeline}${details}${main}})();
`
