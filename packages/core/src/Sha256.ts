/**
 * SHA-256 (FIPS 180-4), synchronous and free of runtime modules: fed piece by piece for blobs hashed while they are
 * written (Web Crypto's `digest` takes the whole input at once and is asynchronous, and `node:crypto` is not for core,
 * which runs on Deno and in browsers too), and `base64OfText` for the hash sources of a report's Content-Security-
 * Policy. Plain 32-bit integer arithmetic on typed arrays, a few hundred MB/s on V8.
 */

const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
])

/** An incremental SHA-256: `update` with the bytes in order, then `digestHex` once. */
export class Sha256 {
  private readonly state = new Int32Array([
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19
  ])
  private readonly w = new Int32Array(64)
  private readonly block = new Uint8Array(64)
  private buffered = 0
  private length = 0
  private done = false

  /** Adds bytes to what is hashed. */
  update(data: Uint8Array): this {
    if (this.done) throw new Error("Sha256: update after digest")
    this.length += data.length
    let offset = 0
    if (this.buffered > 0) {
      const take = Math.min(64 - this.buffered, data.length)
      this.block.set(data.subarray(0, take), this.buffered)
      this.buffered += take
      offset = take
      if (this.buffered < 64) return this
      this.compress(this.block, 0, 64)
      this.buffered = 0
    }
    const whole = offset + Math.floor((data.length - offset) / 64) * 64
    if (whole > offset) this.compress(data, offset, whole)
    if (whole < data.length) {
      this.block.set(data.subarray(whole), 0)
      this.buffered = data.length - whole
    }
    return this
  }

  /** The hash of everything added, in lowercase hex. */
  digestHex(): string {
    let hex = ""
    for (const byte of this.digest()) hex += byte.toString(16).padStart(2, "0")
    return hex
  }

  /** The hash of everything added, as its 32 bytes. */
  digest(): Uint8Array {
    if (this.done) throw new Error("Sha256: digest twice")
    const bits = this.length * 8
    const tail = new Uint8Array(this.buffered < 56 ? 64 - this.buffered : 128 - this.buffered)
    tail[0] = 0x80
    const lengths = new DataView(tail.buffer)
    // The length in bits, big-endian, in the last 8 bytes (exact up to 2^53 bits).
    lengths.setUint32(tail.length - 8, Math.floor(bits / 0x1_0000_0000))
    lengths.setUint32(tail.length - 4, bits >>> 0)
    this.update(tail)
    this.done = true
    const out = new Uint8Array(32)
    const view = new DataView(out.buffer)
    for (let i = 0; i < 8; i++) view.setUint32(i * 4, this.state[i]! >>> 0)
    return out
  }

  /** Hashes the 64-byte blocks of `d` from `at` to `end`, the state in locals meanwhile. */
  private compress(d: Uint8Array, at: number, end: number): void {
    const w = this.w
    const s = this.state
    let s0 = s[0]!, s1 = s[1]!, s2 = s[2]!, s3 = s[3]!, s4 = s[4]!, s5 = s[5]!, s6 = s[6]!, s7 = s[7]!
    for (; at < end; at += 64) {
      for (let i = 0; i < 16; i++) {
        const j = at + (i << 2)
        w[i] = (d[j]! << 24) | (d[j + 1]! << 16) | (d[j + 2]! << 8) | d[j + 3]!
      }
      for (let i = 16; i < 64; i++) {
        const x = w[i - 15]!
        const y = w[i - 2]!
        const r0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)
        const r1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10)
        w[i] = (w[i - 16]! + r0 + w[i - 7]! + r1) | 0
      }
      let a = s0, b = s1, c = s2, dd = s3, e = s4, f = s5, g = s6, h = s7
      for (let i = 0; i < 64; i++) {
        const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7))
        const t1 = (h + S1 + ((e & f) ^ (~e & g)) + K[i]! + w[i]!) | 0
        const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10))
        const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0
        h = g
        g = f
        f = e
        e = (dd + t1) | 0
        dd = c
        c = b
        b = a
        a = (t1 + t2) | 0
      }
      s0 = (s0 + a) | 0
      s1 = (s1 + b) | 0
      s2 = (s2 + c) | 0
      s3 = (s3 + dd) | 0
      s4 = (s4 + e) | 0
      s5 = (s5 + f) | 0
      s6 = (s6 + g) | 0
      s7 = (s7 + h) | 0
    }
    s[0] = s0
    s[1] = s1
    s[2] = s2
    s[3] = s3
    s[4] = s4
    s[5] = s5
    s[6] = s6
    s[7] = s7
  }
}

/** The SHA-256 of a string's UTF-8 bytes, base64-encoded: the form a Content-Security-Policy hash source takes. */
export const base64OfText = (text: string): string => {
  const digest = new Sha256().update(new TextEncoder().encode(text)).digest()
  let binary = ""
  for (const byte of digest) binary += String.fromCharCode(byte)
  return btoa(binary)
}
