// A chain of real, valid Praos blocks made with freshly generated keys (empty bodies), for storage and node tests.
import { randomBytes } from "node:crypto";
import { blockBodyHash, blockBodySize, encodeBlock } from "../../src/chain/block.ts";
import { blockBodyParts } from "../../src/ledger/tx.ts";
import { type Header, signPraosHeader } from "../../src/chain/header.ts";
import { praosVrfInput } from "../../src/consensus/vrf-input.ts";
import { ed25519PublicKey } from "../../src/crypto/ed25519.ts";
import { KesSigningKey } from "../../src/crypto/kes.ts";
import { vrfProve, vrfSecretKeyFromSeed } from "../../src/crypto/vrf.ts";
import { issueOperationalCertificate } from "../../src/formats/opcert.ts";

export function forgeChain(count: number, firstSlot = 1n): { header: Header; bytes: Uint8Array }[] {
  const coldSeed = Uint8Array.from(randomBytes(32));
  const vrf = vrfSecretKeyFromSeed(Uint8Array.from(randomBytes(32)));
  const kes = KesSigningKey.generate(Uint8Array.from(randomBytes(32)));
  const cert = issueOperationalCertificate(coldSeed, kes.verificationKey, 0, 0);
  const parts = blockBodyParts([]);
  const out: { header: Header; bytes: Uint8Array }[] = [];
  let prev: Uint8Array | null = null;
  for (let i = 0; i < count; i++) {
    const slot = firstSlot + BigInt(i) * 3n;
    const { proof, output } = vrfProve(vrf, praosVrfInput(slot, null));
    const header = signPraosHeader(
      {
        blockNumber: BigInt(i),
        slot,
        prevHash: prev,
        issuerVkey: ed25519PublicKey(coldSeed),
        vrfVkey: vrf.publicKey,
        leaderVrf: { output, proof },
        blockBodySize: blockBodySize({ bodyParts: parts }),
        blockBodyHash: blockBodyHash({ bodyParts: parts }),
        opcert: { hotVkey: cert.hotVkey, sequenceNumber: 0n, kesPeriod: 0n, sigma: cert.sigma },
        protocolVersion: [10, 0],
      },
      kes,
    );
    out.push({ header, bytes: encodeBlock(header, parts) });
    prev = header.hash;
  }
  return out;
}
