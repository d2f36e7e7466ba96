// Builds real key material in memory for gate tests (no fakes: real keys, real signatures).
import { randomBytes } from "node:crypto";
import { ed25519PublicKey } from "../../src/crypto/ed25519.ts";
import { KesSigningKey } from "../../src/crypto/kes.ts";
import { vrfSecretKeyBytes, vrfSecretKeyFromSeed } from "../../src/crypto/vrf.ts";
import { issueOperationalCertificate } from "../../src/formats/opcert.ts";

export function newPool() {
  const coldSeed = Uint8Array.from(randomBytes(32));
  return { coldSeed, coldVkey: ed25519PublicKey(coldSeed) };
}

export function newKes() {
  const key = KesSigningKey.generate(Uint8Array.from(randomBytes(32)));
  return { bytes: key.toBytes(), vkey: key.verificationKey };
}

export function newVrf() {
  return vrfSecretKeyBytes(vrfSecretKeyFromSeed(Uint8Array.from(randomBytes(32))));
}

export function issue(pool: ReturnType<typeof newPool>, kesVkey: Uint8Array, counter: number, period: number) {
  return issueOperationalCertificate(pool.coldSeed, kesVkey, counter, period);
}
