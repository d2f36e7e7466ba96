// libsodium (WASM build) is the one curve and hash engine behind poolfleet's crypto: it is the library
// cardano-base binds to, so strict Ed25519 verification and point decoding behave as on the real network,
// and on this machine it is the fastest candidate measured (see bench/crypto.bench.ts).
import sodium from "libsodium-wrappers-sumo";

await sodium.ready;

export { sodium };
