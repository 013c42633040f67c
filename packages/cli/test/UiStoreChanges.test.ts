// When `victor ui`'s live streams ask the store again (`StoreChanges`): on a directory store, only after something in
// the directory changed (a journal growing, a trace file written), never for the store's own hidden files, and at
// least every `idle`; a directory that cannot be watched, and a database, are asked every interval.
import * as NodeContext from "@effect/platform-node/NodeContext"
import { describe, expect, it } from "@effect/vitest"
import * as StoreChanges from "@victor/cli/ui/StoreChanges"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import { appendFileSync, mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

const elapsed = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.map(Effect.timed(effect), ([duration, value]) => [Math.round(Duration.toMillis(duration)), value] as const)

describe("victor ui: when the live streams ask the store again", () => {
  it.scopedLive("a watched directory wakes them on a change of a journal or trace file, not of the store's own files", () =>
    Effect.gen(function*() {
      const dir = mkdtempSync(join(tmpdir(), "victor-ui-changes-"))
      writeFileSync(join(dir, "flow_t1.jsonl"), "{}\n")
      const changes = yield* StoreChanges.watching(dir, "4 seconds")
      yield* Effect.sleep("100 millis")
      const seen = yield* changes.version
      const waiting = yield* Effect.fork(elapsed(changes.after(seen, "50 millis")))
      yield* Effect.sleep("400 millis")
      // The index and a temp file are the store's own: no wake.
      writeFileSync(join(dir, ".index.jsonl"), "{}\n")
      writeFileSync(join(dir, ".flow_t2.json.tmp-1"), "{}")
      yield* Effect.sleep("400 millis")
      expect(waiting.unsafePoll()).toBeNull()
      // A journal that grows does.
      appendFileSync(join(dir, "flow_t1.jsonl"), "{}\n")
      const [ms, version] = yield* Fiber.join(waiting)
      expect(version).toBeGreaterThan(seen)
      expect(ms).toBeLessThan(2500)
      // With nothing changing, at most `idle`.
      const [idleMs] = yield* elapsed(changes.after(version, "50 millis"))
      expect(idleMs).toBeGreaterThanOrEqual(3900)
    }).pipe(Effect.provide(NodeContext.layer)), 20_000)

  it.scopedLive("a directory that cannot be watched, and a database, are asked every interval", () =>
    Effect.gen(function*() {
      const missing = yield* StoreChanges.watching(join(tmpdir(), "victor-ui-no-such-dir", String(Date.now())), "5 seconds")
      yield* Effect.sleep("100 millis")
      const [ms] = yield* elapsed(missing.after(yield* missing.version, "200 millis"))
      expect(ms).toBeGreaterThanOrEqual(190)
      expect(ms).toBeLessThan(1500)
      const [pollMs] = yield* elapsed(StoreChanges.polling.after(0, "200 millis"))
      expect(pollMs).toBeGreaterThanOrEqual(190)
      expect(pollMs).toBeLessThan(1500)
    }).pipe(Effect.provide(NodeContext.layer)))
})
