/**
 * Liveness across machines: while a run writes a journal, this process holds a session-level advisory lock on its
 * trace id (`pg_try_advisory_lock(hashtextextended('victor/journal/<id>', 0))`) on one connection reserved for that
 * purpose. PostgreSQL releases a session's locks when its connection ends, so when the process dies (`kill -9`, a
 * power cut, a lost network) the lock goes with it, and any other process can tell that the journal's run is gone by
 * taking the lock itself (see `recovery.ts`). No heartbeat, no clock, no pid that another host could not check.
 *
 * One connection holds the locks of all the journals this store has open (a process running 50 traces at once needs
 * one extra connection, not 50). It is reserved from the pool when the first journal begins and given back, with
 * `pg_advisory_unlock_all()` first, when the last one ends, and when the store's scope closes (so that a client the
 * user owns never gets back a connection still holding locks). If that connection fails, the next lock call takes a
 * new one and takes the held locks again; a lock another process took meanwhile (it recovered the journal) is lost,
 * and `isHeld` says so. While locks are held, the connection is checked every `heartbeat` (30 s by default; a
 * `SELECT 1` that also keeps idle-connection killers such as NAT tables from dropping it), so that a failed one is
 * replaced, and its locks taken again, before another process can think the runs gone.
 */
import type * as SqlClient from "@effect/sql/SqlClient"
import type * as SqlConnection from "@effect/sql/SqlConnection"
import type * as SqlError from "@effect/sql/SqlError"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Schedule from "effect/Schedule"
import * as Scope from "effect/Scope"

/** The advisory locks of one store. */
export interface LockSession {
  /** Takes the lock of a key for this process; false when another session (or this process already) holds it. */
  readonly tryLock: (key: string) => Effect.Effect<boolean, SqlError.SqlError>
  /** Lets go of a lock this process holds. */
  readonly unlock: (key: string) => Effect.Effect<void>
  /** Whether this process still holds the lock of a key. */
  readonly isHeld: (key: string) => boolean
}

interface Held {
  readonly connection: SqlConnection.Connection
  readonly scope: Scope.CloseableScope
}

const LOCK = `SELECT pg_try_advisory_lock(hashtextextended($1, 0))`
const UNLOCK = `SELECT pg_advisory_unlock(hashtextextended($1, 0))`
const UNLOCK_ALL = `SELECT pg_advisory_unlock_all()`

/** The lock session of a store; its connection is given back when `scope` closes. */
export const make = (
  sql: SqlClient.SqlClient,
  scope: Scope.Scope,
  heartbeat: Duration.DurationInput = Duration.seconds(30)
): Effect.Effect<LockSession> =>
  Effect.gen(function*() {
    const permit = yield* Effect.makeSemaphore(1)
    const keys = new Set<string>()
    let current: Held | undefined

    const lockOn = (connection: SqlConnection.Connection, key: string) =>
      Effect.map(connection.executeValues(LOCK, [key]), (rows) => rows[0]?.[0] === true)

    const release = (held: Held, unlockFirst: boolean) =>
      Effect.gen(function*() {
        if (current === held) current = undefined
        const unlocked = unlockFirst ? yield* Effect.either(held.connection.executeValues(UNLOCK_ALL, [])) : undefined
        // A connection that could not let go of its locks is closed rather than given back to the pool.
        yield* Scope.close(held.scope, unlocked?._tag === "Left" ? Exit.fail(unlocked.left) : Exit.void)
      })

    /** The session's connection; a new one takes the locks still held again (those it cannot take are lost). */
    const connection: Effect.Effect<Held, SqlError.SqlError> = Effect.suspend(() => {
      if (current !== undefined) return Effect.succeed(current)
      return Effect.gen(function*() {
        const connectionScope = yield* Scope.make()
        const conn = yield* Scope.extend(sql.reserve, connectionScope).pipe(
          Effect.onError((cause) => Scope.close(connectionScope, Exit.failCause(cause)))
        )
        const held: Held = { connection: conn, scope: connectionScope }
        for (const key of Array.from(keys)) {
          const again = yield* Effect.either(lockOn(conn, key))
          if (again._tag === "Left") {
            yield* release(held, false)
            return yield* Effect.fail(again.left)
          }
          if (!again.right) keys.delete(key)
        }
        current = held
        return held
      })
    })

    // A failed connection is let go of; the pool may hand out another one that died with it (a server restart):
    // a few tries, each on a new connection.
    const lockOnce = (key: string) =>
      Effect.gen(function*() {
        const held = yield* connection
        const locked = yield* lockOn(held.connection, key).pipe(Effect.tapError(() => release(held, false)))
        if (locked) keys.add(key)
        else if (keys.size === 0) yield* release(held, true)
        return locked
      })

    const tryLock = (key: string) =>
      permit.withPermits(1)(Effect.suspend(() => {
        if (keys.has(key)) return Effect.succeed(false)
        return Effect.retry(lockOnce(key), { times: 3 })
      }))

    const unlock = (key: string) =>
      permit.withPermits(1)(Effect.gen(function*() {
        if (!keys.delete(key) || current === undefined) return
        const held = current
        if (keys.size === 0) return yield* release(held, true)
        const unlocked = yield* Effect.either(held.connection.executeValues(UNLOCK, [key]))
        if (unlocked._tag === "Left") yield* release(held, false)
      }))

    // A connection that fails while runs go on is replaced at once, its locks taken again.
    const check = permit.withPermits(1)(Effect.suspend(() => {
      const held = current
      if (keys.size === 0) return Effect.void
      // The last connection failed and no new one could be had then: again now.
      if (held === undefined) return Effect.ignore(connection)
      return Effect.either(held.connection.executeValues(`SELECT 1`, [])).pipe(
        Effect.flatMap((alive) =>
          alive._tag === "Right" ? Effect.void : Effect.zipRight(release(held, false), Effect.ignore(connection))
        )
      )
    }))
    yield* Effect.forkIn(Effect.interruptible(Effect.repeat(check, Schedule.spaced(heartbeat))), scope)

    yield* Scope.addFinalizer(
      scope,
      permit.withPermits(1)(Effect.suspend(() => {
        keys.clear()
        return current === undefined ? Effect.void : release(current, true)
      }))
    )

    return { tryLock, unlock, isHeld: (key) => keys.has(key) }
  })
