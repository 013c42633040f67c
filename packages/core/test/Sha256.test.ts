import { describe, expect, it } from "@effect/vitest"
import * as Sha256 from "@victor/core/Sha256"
import { createHash } from "node:crypto"

const bytes = (text: string) => new TextEncoder().encode(text)

describe("Sha256", () => {
  it("matches the FIPS 180-4 vectors, whole or piece by piece", () => {
    expect(new Sha256.Sha256().update(bytes("abc")).digestHex()).toBe(
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )
    const long = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
    const pieces = new Sha256.Sha256()
    for (let i = 0; i < long.length; i += 7) pieces.update(bytes(long.slice(i, i + 7)))
    expect(pieces.digestHex()).toBe("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    expect(new Sha256.Sha256().digestHex()).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
  })

  it("gives a text's hash in base64, as a Content-Security-Policy hash source", () => {
    expect(Sha256.base64OfText("abc")).toBe("ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=")
    for (const text of ["é ✓ 𝄞", "x".repeat(1000)]) {
      expect(Sha256.base64OfText(text)).toBe(createHash("sha256").update(text, "utf8").digest("base64"))
    }
  })
})
