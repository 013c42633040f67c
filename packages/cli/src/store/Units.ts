/**
 * The units people type for the store commands: ages (`30d`, `12h`) and sizes (`2GB`, `500MiB`).
 */
import * as Effect from "effect/Effect"
import { UsageError } from "../CliError.ts"

const secondsPer: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 }

/** An age such as `45s`, `30m`, `12h`, `7d` or `2w`, in seconds. */
export const parseAge = (flag: string, text: string): Effect.Effect<number, UsageError> => {
  const match = /^(\d+(?:\.\d+)?)\s*([smhdw])$/i.exec(text.trim())
  return match === null
    ? Effect.fail(
      new UsageError({ description: `${flag}: cannot read "${text}" as an age; use a number and s, m, h, d or w, e.g. ${flag} 7d` })
    )
    : Effect.succeed(Number(match[1]) * secondsPer[match[2]!.toLowerCase()]!)
}

const bytesPer: Record<string, number> = {
  "": 1,
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  k: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gib: 1024 ** 3,
  tib: 1024 ** 4
}

/** A size such as `2GB` (10^9 bytes), `500MiB` (2^20) or `1048576`, in bytes. */
export const parseSize = (flag: string, text: string): Effect.Effect<number, UsageError> => {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim())
  const unit = match?.[2]?.toLowerCase()
  return match === null || unit === undefined || bytesPer[unit] === undefined
    ? Effect.fail(
      new UsageError({ description: `${flag}: cannot read "${text}" as a size; e.g. ${flag} 2GB, ${flag} 500MiB, ${flag} 1048576` })
    )
    : Effect.succeed(Math.floor(Number(match[1]) * bytesPer[unit]!))
}

/** Bytes for people: `512 B`, `1.5 KiB`, `2.0 GiB`. */
export const formatBytes = (bytes: number): string => {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"]
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`
}
