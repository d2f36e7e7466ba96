// The Conway rules the ada-only ledger used to get wrong, each accepted and refused on a devnet genesis ledger
// (a testnet, network 0): inputs are a set (a repeated input does not decode, and is never counted twice),
// every address and reward account and the body's network id name this network, and the body's auxiliary data
// hash commits to the auxiliary data's bytes as they appear.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { cborArrayOfRaw, cborMapOfRaw } from "../../src/codec/cbor-raw.ts";
import { concatBytes } from "../../src/crypto/bytes.ts";
import { blake2b256 } from "../../src/crypto/hash.ts";
import { encodeCbor } from "../../src/codec/cbor.ts";
import { applyTx } from "../../src/ledger/apply-tx.ts";
import { rewardAccount } from "../../src/ledger/certs.ts";
import { Journal } from "../../src/ledger/journal.ts";
import { buildTx, type TxPlan } from "../../src/ledger/tx-build.ts";
import { decodeTx, decodeTxBody, TxDecodeError } from "../../src/ledger/tx.ts";
import { outRef } from "../../src/ledger/utxo.ts";
import { devnetLedger, genesisInput, wallet } from "../helpers/ledger.ts";

const { state, params, owners } = devnetLedger();
const alice = owners[0]!;
const bob = wallet();
const funds = 1_000_000_000_000n;
const fee = 300_000n;

/** Alice pays bob `amount` from her genesis funds, change back to her. */
const payPlan = (amount: bigint, extra: Partial<TxPlan> = {}): TxPlan => ({
  inputs: [genesisInput(alice)],
  outputs: [
    { address: bob.address, coin: amount },
    { address: alice.address, coin: funds - amount - fee },
  ],
  fee,
  ...extra,
});

/** Apply on the live state and undo; the failure kinds. */
function check(tx: Parameters<typeof applyTx>[1]): string[] {
  const journal = new Journal();
  const failures = applyTx(state, tx, { slot: 10n, params }, journal);
  journal.rollback();
  return failures.map((f) => f.kind);
}

const withNetwork = (address: Uint8Array, network: number) =>
  Uint8Array.from(address).fill((address[0]! & 0xf0) | network, 0, 1);

describe("inputs are a set (Conway decodes no duplicates)", () => {
  // Two inputs naming alice's one genesis output, and outputs taking twice her funds: 1M ada from nothing.
  const doubled: TxPlan = {
    inputs: [genesisInput(alice), genesisInput(alice)],
    outputs: [
      { address: bob.address, coin: funds },
      { address: alice.address, coin: funds - fee },
    ],
    fee,
  };

  it("a repeated input does not decode, as an array or as a tag-258 set, and the error names both", () => {
    for (const inputsAsSet of [false, true]) {
      assert.throws(
        () => buildTx({ ...doubled, inputsAsSet }, [alice.paymentSeed]),
        (e: Error) => e instanceof TxDecodeError && /input 1 repeats input 0 \([0-9a-f]{64}#0\)/.test(e.message),
      );
    }
    assert.doesNotThrow(() => buildTx({ ...payPlan(5_000_000n), inputsAsSet: true }, [alice.paymentSeed]));
  });

  it("before Conway (protocol 8) a repeat collapses into one input, so the doubled outputs are not covered", () => {
    const tx = buildTx(doubled, [alice.paymentSeed], { protocolMajor: 8 });
    assert.equal(tx.body.inputs.length, 1);
    assert.throws(() => decodeTx(tx.bytes), TxDecodeError, "the same bytes under Conway");
    assert.deepEqual(check(tx), ["ValueNotConservedUTxO"]);
  });

  it("applyTx counts a repeated input once even when handed one directly", () => {
    const tx = buildTx({ ...doubled, inputs: [genesisInput(alice)] }, [alice.paymentSeed]);
    const repeated = { ...tx, body: { ...tx.body, inputs: [genesisInput(alice), genesisInput(alice)] } };
    assert.deepEqual(check(repeated), ["ValueNotConservedUTxO"]);
  });

  it("a withdrawal map naming one reward account twice does not decode in Conway; before, the last wins", () => {
    const account = encodeCbor(Uint8Array.from(Buffer.from(rewardAccount(alice.stakeHash), "hex")));
    const body = cborMapOfRaw([
      [encodeCbor(0), encodeCbor([[genesisInput(alice).txId, 0]])],
      [encodeCbor(1), encodeCbor([[alice.address, funds - fee]])],
      [encodeCbor(2), encodeCbor(fee)],
      [
        encodeCbor(5),
        cborMapOfRaw([
          [account, encodeCbor(1)],
          [account, encodeCbor(2)],
        ]),
      ],
    ]);
    assert.throws(() => decodeTxBody(body), /withdrawals name reward account e0[0-9a-f]{56} twice/);
    assert.deepEqual([...decodeTxBody(body, { protocolMajor: 8 }).withdrawals.values()], [2n]);
  });
});

describe("Conway's body decoder: no unknown keys, no empty collections, no repeated certificates", () => {
  const base: [Uint8Array, Uint8Array][] = [
    [encodeCbor(0), encodeCbor([[genesisInput(alice).txId, 0]])],
    [encodeCbor(1), encodeCbor([[alice.address, funds - fee]])],
    [encodeCbor(2), encodeCbor(fee)],
  ];
  const body = (key: number, value: Uint8Array) => cborMapOfRaw([...base, [encodeCbor(key), value]]);

  it("a present but empty certificate or withdrawal field does not decode; before Conway it does", () => {
    assert.throws(() => decodeTxBody(body(4, Uint8Array.of(0x80))), /'Certificates' must be non-empty/);
    assert.throws(() => decodeTxBody(body(4, Uint8Array.of(0xd9, 0x01, 0x02, 0x80))), /'Certificates'/);
    assert.throws(() => decodeTxBody(body(5, Uint8Array.of(0xa0))), /'Withdrawals' must be non-empty/);
    assert.equal(decodeTxBody(body(4, Uint8Array.of(0x80)), { protocolMajor: 8 }).certificates.length, 0);
    assert.doesNotThrow(() => decodeTxBody(cborMapOfRaw(base)));
  });

  it("the Shelley update (key 6) and unknown keys are not Conway body fields; a zero donation is refused", () => {
    assert.throws(() => decodeTxBody(body(6, encodeCbor([new Map(), 0]))), /key 6 is not a Conway body field/);
    assert.throws(() => decodeTxBody(body(30, encodeCbor(1))), /key 30 is not a Conway body field/);
    assert.throws(() => decodeTxBody(body(22, encodeCbor(0))), /'Treasury Donation' must be non-zero/);
    assert.deepEqual(decodeTxBody(body(6, encodeCbor([new Map(), 0])), { protocolMajor: 8 }).unsupported, [
      "protocol parameter update",
    ]);
  });

  it("two equal certificates do not decode, even encoded differently; before Conway they do", () => {
    const cert = encodeCbor([2, [0, Uint8Array.from(Buffer.from(alice.stakeHash, "hex"))], new Uint8Array(28)]);
    // The same delegation with its certificate tag written in 2 bytes (0x18 0x02): equal as data.
    const longTag = concatBytes(Uint8Array.of(0x83, 0x18, 0x02), cert.subarray(2));
    assert.throws(
      () => decodeTxBody(body(4, cborArrayOfRaw([cert, longTag]))),
      /certificate 1 repeats certificate 0; Conway refuses duplicates/,
    );
    assert.equal(decodeTxBody(body(4, cborArrayOfRaw([cert, longTag])), { protocolMajor: 8 }).certificates.length, 2);
    const other = encodeCbor([2, [0, Uint8Array.from(Buffer.from(bob.stakeHash, "hex"))], new Uint8Array(28)]);
    assert.equal(decodeTxBody(body(4, cborArrayOfRaw([cert, other]))).certificates.length, 2);
  });
});

describe("network id (UTXO: WrongNetwork, WrongNetworkWithdrawal, WrongNetworkInTxBody)", () => {
  it("the devnet is a testnet, and a payment to its own addresses is accepted", () => {
    assert.equal(params.mainnet, false);
    assert.deepEqual(check(buildTx(payPlan(5_000_000n), [alice.paymentSeed])), []);
  });

  it("an output to a mainnet address is refused, naming the address", () => {
    const plan = payPlan(5_000_000n);
    const mainnetBob = withNetwork(bob.address, 1);
    const tx = buildTx({ ...plan, outputs: [{ ...plan.outputs[0]!, address: mainnetBob }, plan.outputs[1]!] }, [
      alice.paymentSeed,
    ]);
    const journal = new Journal();
    const failures = applyTx(state, tx, { slot: 10n, params }, journal);
    journal.rollback();
    assert.deepEqual(
      failures.map((f) => f.kind),
      ["WrongNetwork"],
    );
    assert.match(failures[0]!.message, new RegExp(Buffer.from(mainnetBob).toString("hex")));
    assert.deepEqual(check(buildTx(plan, [alice.paymentSeed])), [], "the testnet address is fine");
  });

  it("a withdrawal from a mainnet reward account is refused, though the key's testnet account is registered", () => {
    assert.ok(state.accounts.has(alice.stakeHash), "alice's stake key is registered in genesis");
    const withdraw = (account: string) =>
      buildTx(payPlan(5_000_000n, { withdrawals: new Map([[account, 0n]]) }), [alice.paymentSeed, alice.stakeSeed]);
    assert.deepEqual(check(withdraw(rewardAccount(alice.stakeHash))), []);
    assert.deepEqual(check(withdraw(rewardAccount(alice.stakeHash, true))), ["WrongNetworkWithdrawal"]);
  });

  it("the body's network id, when given, must be this network's", () => {
    assert.deepEqual(check(buildTx(payPlan(5_000_000n, { networkId: 0 }), [alice.paymentSeed])), []);
    assert.deepEqual(check(buildTx(payPlan(5_000_000n, { networkId: 1 }), [alice.paymentSeed])), [
      "WrongNetworkInTxBody",
    ]);
    assert.throws(() => buildTx(payPlan(5_000_000n, { networkId: 2 }), [alice.paymentSeed]), /must be 0.*or 1/);
  });
});

describe("auxiliary data hash (UTXOW: MissingTxMetadata, MissingTxBodyMetadataHash, ConflictingMetadataHash)", () => {
  const metadata = encodeCbor(new Map([[674, new Map([["msg", ["poolfleet"]]])]]));
  // The same metadata with the label 674 written in 4 bytes instead of 2: equal as data, other bytes.
  const longLabel = concatBytes(Uint8Array.of(0xa1, 0x1a, 0, 0, 0x02, 0xa2), metadata.subarray(4));

  it("metadata with the body's hash of its bytes is accepted", () => {
    assert.equal(metadata[1], 0x19, "label 674 is a 2-byte head");
    const tx = buildTx(payPlan(5_000_000n, { auxData: metadata }), [alice.paymentSeed]);
    assert.deepEqual(tx.auxBytes, metadata);
    assert.deepEqual(check(tx), []);
  });

  it("a hash without metadata is MissingTxMetadata", () =>
    assert.deepEqual(check(buildTx(payPlan(5_000_000n, { auxDataHash: blake2b256(metadata) }), [alice.paymentSeed])), [
      "MissingTxMetadata",
    ]));

  it("metadata without a hash is MissingTxBodyMetadataHash", () =>
    assert.deepEqual(
      check(buildTx(payPlan(5_000_000n, { auxData: metadata, auxDataHash: null }), [alice.paymentSeed])),
      ["MissingTxBodyMetadataHash"],
    ));

  it("a hash of other bytes is ConflictingMetadataHash, even of the same data encoded otherwise", () => {
    const conflicting = buildTx(payPlan(5_000_000n, { auxData: longLabel, auxDataHash: blake2b256(metadata) }), [
      alice.paymentSeed,
    ]);
    const journal = new Journal();
    const failures = applyTx(state, conflicting, { slot: 10n, params }, journal);
    journal.rollback();
    assert.deepEqual(
      failures.map((f) => f.kind),
      ["ConflictingMetadataHash"],
    );
    assert.match(failures[0]!.message, new RegExp(Buffer.from(blake2b256(longLabel)).toString("hex")));
    assert.deepEqual(check(buildTx(payPlan(5_000_000n, { auxData: longLabel }), [alice.paymentSeed])), []);
  });
});

describe("metadata strings are at most 64 bytes (UTXOW: InvalidMetadata)", () => {
  const text = (n: number) => "x".repeat(n);
  const withMetadata = (aux: Uint8Array) => check(buildTx(payPlan(5_000_000n, { auxData: aux }), [alice.paymentSeed]));
  // A 65-byte byte string sent as two chunks, 40 + 25 bytes: still one string of 65 bytes.
  const chunked = concatBytes(
    Uint8Array.of(0xa1, 0x01, 0x5f),
    encodeCbor(new Uint8Array(40)),
    encodeCbor(new Uint8Array(25)),
    Uint8Array.of(0xff),
  );

  it("64 bytes are accepted, 65 refused, in a text or bytes, nested or chunked", () => {
    assert.deepEqual(withMetadata(encodeCbor(new Map([[1, text(64)]]))), []);
    assert.deepEqual(withMetadata(encodeCbor(new Map([[1, text(65)]]))), ["InvalidMetadata"]);
    assert.deepEqual(withMetadata(encodeCbor(new Map([[1, [new Map([[2, new Uint8Array(65)]])]]]))), [
      "InvalidMetadata",
    ]);
    assert.deepEqual(withMetadata(chunked), ["InvalidMetadata"]);
  });

  it("the metadata is found in the Allegra [metadata, scripts] and Alonzo tag-259 forms too", () => {
    const long = encodeCbor(new Map([[1, text(65)]]));
    const short = encodeCbor(new Map([[1, text(10)]]));
    const allegra = (m: Uint8Array) => concatBytes(Uint8Array.of(0x82), m, Uint8Array.of(0x80));
    const alonzo = (m: Uint8Array) => concatBytes(Uint8Array.of(0xd9, 0x01, 0x03, 0xa1, 0x00), m);
    assert.deepEqual(withMetadata(allegra(short)), []);
    assert.deepEqual(withMetadata(allegra(long)), ["InvalidMetadata"]);
    assert.deepEqual(withMetadata(alonzo(short)), []);
    assert.deepEqual(withMetadata(alonzo(long)), ["InvalidMetadata"]);
  });
});

describe("inputs locked by scripts or Byron keys need witnesses poolfleet cannot check (UTXOW)", () => {
  /** Put an output at `address` into the UTxO for one check, spent by alice together with her genesis funds. */
  function spendFrom(address: Uint8Array): string[] {
    const ref = { txId: Uint8Array.from(blake2b256(address)).fill(7, 0, 1), index: 3 };
    const journal = new Journal();
    journal.set(state.utxo, outRef(ref.txId, ref.index), {
      address,
      coin: 10_000_000n,
      assets: new Map(),
      datumOrScript: false,
    });
    const plan = payPlan(5_000_000n);
    const tx = buildTx(
      {
        ...plan,
        inputs: [genesisInput(alice), ref],
        outputs: [plan.outputs[0]!, { ...plan.outputs[1]!, coin: plan.outputs[1]!.coin + 10_000_000n }],
      },
      [alice.paymentSeed],
    );
    const failures = applyTx(state, tx, { slot: 10n, params }, journal);
    journal.rollback();
    return failures.map((f) => f.kind);
  }

  it("an output at alice's own key address is spent with her signature", () =>
    assert.deepEqual(spendFrom(alice.address), []));

  it("an output at a script address is MissingScriptWitnessesUTXOW, not spendable by anyone", () => {
    const scriptAddress = concatBytes(Uint8Array.of(0x70), new Uint8Array(28).fill(0x5c)); // enterprise, script
    assert.deepEqual(spendFrom(scriptAddress), ["MissingScriptWitnessesUTXOW"]);
  });

  it("an output at a Byron address needs its root's (bootstrap) witness: MissingVKeyWitnessesUTXOW", () => {
    const root = new Uint8Array(28).fill(0xb1);
    const payload = concatBytes(Uint8Array.of(0xd8, 0x18), encodeCbor(encodeCbor([root, new Map(), 0])));
    const byron = cborArrayOfRaw([payload, encodeCbor(12345)]);
    assert.deepEqual(spendFrom(byron), ["MissingVKeyWitnessesUTXOW"]);
  });
});
