// poolfleet-cli end to end, as a real process: the key lifecycle, the gate, and how it answers bad input.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { runCli, type CliResult } from "../helpers/cli.ts";
import { fixturePath } from "../helpers/fixtures.ts";

const dir = mkdtempSync(join(tmpdir(), "pf-cli-"));
const f = (name: string) => join(dir, name);
const ok = (r: CliResult) => assert.equal(r.code, 0, `exit ${r.code}: ${r.stderr}`);

function assertOneLineError(r: CliResult, pattern: RegExp) {
  assert.equal(r.code, 1, `expected exit 1, got ${r.code}`);
  const lines = r.stderr.trim().split("\n");
  assert.equal(lines.length, 1, `one line expected: ${r.stderr}`);
  assert.match(lines[0]!, pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
}

const keyGen = (prefix = "") => [
  [
    "node",
    "key-gen",
    "--cold-verification-key-file",
    f(`${prefix}cold.vkey`),
    "--cold-signing-key-file",
    f(`${prefix}cold.skey`),
    "--operational-certificate-issue-counter-file",
    f(`${prefix}cold.counter`),
  ],
];
const kesGen = (name: string) => [
  "node",
  "key-gen-KES",
  "--verification-key-file",
  f(`${name}.vkey`),
  "--signing-key-file",
  f(`${name}.skey`),
];
const issue = (kes: string, out: string, period = "0") => [
  "node",
  "issue-op-cert",
  "--kes-verification-key-file",
  f(`${kes}.vkey`),
  "--cold-signing-key-file",
  f("cold.skey"),
  "--operational-certificate-issue-counter-file",
  f("cold.counter"),
  "--kes-period",
  period,
  "--out-file",
  f(out),
];
const check = (kes: string, cert: string) => [
  "keys",
  "check",
  "--shelley-kes-key",
  f(`${kes}.skey`),
  "--shelley-operational-certificate",
  f(cert),
  "--shelley-vrf-key",
  f("vrf.skey"),
  "--cold-verification-key-file",
  f("cold.vkey"),
  "--operational-certificate-issue-counter-file",
  f("cold.counter"),
];

describe("poolfleet-cli key lifecycle", () => {
  const outputs: CliResult[] = [];
  const run = async (args: string[]) => {
    const r = await runCli(args);
    outputs.push(r);
    return r;
  };
  before(async () => {
    ok(await run(keyGen()[0]!));
    ok(await run(kesGen("kes")));
    ok(
      await run(["node", "key-gen-VRF", "--verification-key-file", f("vrf.vkey"), "--signing-key-file", f("vrf.skey")]),
    );
    ok(await run(issue("kes", "node.cert")));
  });

  it("writes cardano-cli envelopes, signing keys owner-only", () => {
    for (const [name, type, mode] of [
      ["cold.skey", "StakePoolSigningKey_ed25519", 0o600],
      ["cold.vkey", "StakePoolVerificationKey_ed25519", 0o644],
      ["kes.skey", "KesSigningKey_ed25519_kes_2^6", 0o600],
      ["vrf.skey", "VrfSigningKey_PraosVRF", 0o600],
      ["node.cert", "NodeOperationalCertificate", 0o644],
    ] as const) {
      assert.equal(JSON.parse(readFileSync(f(name), "utf8")).type, type);
      assert.equal(statSync(f(name)).mode & 0o777, mode, name);
    }
    assert.match(readFileSync(f("cold.counter"), "utf8"), /Next certificate issue number: 1/);
  });

  it("the consistent set passes keys check with exit 0", async () => {
    const r = await run(check("kes", "node.cert"));
    ok(r);
    assert.equal((r.stdout.match(/^PASS /gm) ?? []).length, 4);
    assert.match(r.stdout, /key set is consistent/);
  });

  it("seeds/003: the old KES key with a certificate issued for a new one fails, exit 1", async () => {
    ok(await run(kesGen("kes-new")));
    ok(await run(issue("kes-new", "node-new.cert")));
    const bad = await run(check("kes", "node-new.cert"));
    assert.equal(bad.code, 1);
    assert.match(
      bad.stdout,
      /^FAIL {2}KES key .*kes\.skey \([0-9a-f]{56}\) is NOT the hot key certified by .*node-new\.cert \([0-9a-f]{56}\)/m,
    );
    assert.match(bad.stdout, /do not deploy it/);
    ok(await run(check("kes-new", "node-new.cert")));
  });

  it("refuses to overwrite existing keys, and leaves them untouched", async () => {
    const before = readFileSync(f("cold.skey"));
    assertOneLineError(await run(keyGen()[0]!), /already exists; refusing to overwrite/);
    assert.deepEqual(readFileSync(f("cold.skey")), before);
  });

  it("no secret key bytes ever reach stdout or stderr", () => {
    const text = outputs.map((o) => o.stdout + o.stderr).join("\n");
    for (const name of ["cold.skey", "kes.skey", "vrf.skey", "kes-new.skey"]) {
      const hexKey = JSON.parse(readFileSync(f(name), "utf8")).cborHex.slice(6, 70) as string;
      assert.equal(text.includes(hexKey), false, `${name} leaked`);
    }
  });
});

describe("poolfleet-cli input errors: one line naming the file and the problem, exit 1", () => {
  const set = (name: string) => fixturePath("keys/cardano-cli-set", name);
  const withFile = (name: string, contents: string) => {
    writeFileSync(f(name), contents);
    return f(name);
  };
  const kesCheck = (kes: string, cert = set("node.cert")) => [
    "keys",
    "check",
    "--shelley-kes-key",
    kes,
    "--shelley-operational-certificate",
    cert,
  ];
  it("missing file", async () =>
    assertOneLineError(await runCli(kesCheck(f("nope.skey"))), /nope\.skey: file not found/));
  it("wrong envelope type", async () =>
    assertOneLineError(
      await runCli(kesCheck(set("kes.vkey"))),
      /kes\.vkey: is a KES verification key .* expected a KES signing key/,
    ));
  it("wrong length", async () => {
    const short = withFile(
      "short.skey",
      JSON.stringify({ type: "KesSigningKey_ed25519_kes_2^6", description: "", cborHex: `59025f${"00".repeat(607)}` }),
    );
    assertOneLineError(await runCli(kesCheck(short)), /short\.skey: KES signing key must be 608 bytes, got 607/);
  });
  it("bad hex", async () => {
    const bad = withFile(
      "badhex.skey",
      JSON.stringify({ type: "KesSigningKey_ed25519_kes_2^6", description: "", cborHex: "zz" }),
    );
    assertOneLineError(await runCli(kesCheck(bad)), /badhex\.skey: "cborHex" is not valid hex/);
  });
  it("not JSON", async () =>
    assertOneLineError(
      await runCli(kesCheck(withFile("garbage.skey", "\u0000\u0001 not json"))),
      /garbage\.skey: is not a text envelope/,
    ));
  it("truncated CBOR", async () => {
    const cut = withFile(
      "cut.cert",
      JSON.stringify({ type: "NodeOperationalCertificate", description: "", cborHex: "828458" }),
    );
    assertOneLineError(await runCli(kesCheck(set("kes.skey"), cut)), /cut\.cert: not valid CBOR/);
  });
  it("impossible numbers", async () => {
    const args = (period: string) => [
      "node",
      "issue-op-cert",
      "--kes-verification-key-file",
      set("kes.vkey"),
      "--cold-signing-key-file",
      set("cold.skey"),
      "--operational-certificate-issue-counter-file",
      f("x.counter"),
      "--kes-period",
      period,
      "--out-file",
      f("x.cert"),
    ];
    assertOneLineError(await runCli(args("abc")), /--kes-period: "abc" is not a whole number/);
    assertOneLineError(await runCli(args("99999999999999999999")), /--kes-period: 99999999999999999999 is too large/);
    assertOneLineError(
      await runCli([
        "query",
        "leadership-schedule",
        "--vrf-signing-key-file",
        set("vrf.skey"),
        "--epoch-nonce",
        "00".repeat(32),
        "--epoch-start-slot",
        "0",
        "--epoch-length",
        "10",
        "--relative-stake",
        "1.5",
        "--active-slot-coeff",
        "0.05",
      ]),
      /--relative-stake: 1\.5 must be between 0 and 1/,
    );
    assertOneLineError(
      await runCli([
        "query",
        "leadership-schedule",
        "--vrf-signing-key-file",
        set("vrf.skey"),
        "--epoch-nonce",
        "abcd",
        "--epoch-start-slot",
        "0",
        "--epoch-length",
        "10",
        "--relative-stake",
        "0.5",
        "--active-slot-coeff",
        "0.05",
      ]),
      /--epoch-nonce: must be 64 hex/,
    );
  });
  it("unknown flag and missing flag", async () => {
    assertOneLineError(await runCli(["keys", "check", "--shelley-kes-key", "x", "--bogus"]), /unknown option --bogus/);
    assertOneLineError(
      await runCli(["keys", "check", "--shelley-kes-key", "x"]),
      /missing --shelley-operational-certificate/,
    );
  });
  it("an issue counter of another cold key is refused before anything is written", async () => {
    const r = await runCli([
      "node",
      "new-counter",
      "--cold-verification-key-file",
      f("cold.vkey"),
      "--counter-value",
      "0",
      "--operational-certificate-issue-counter-file",
      f("other.counter"),
    ]);
    ok(r);
    const issued = await runCli([
      "node",
      "issue-op-cert",
      "--kes-verification-key-file",
      set("kes.vkey"),
      "--cold-signing-key-file",
      set("cold.skey"),
      "--operational-certificate-issue-counter-file",
      f("other.counter"),
      "--kes-period",
      "1",
      "--out-file",
      f("other.cert"),
    ]);
    assertOneLineError(
      issued,
      /other\.counter: counts certificates of cold key [0-9a-f]{56}, but .*cold\.skey is cold key/,
    );
    assert.throws(() => statSync(f("other.cert")));
  });
});

describe("poolfleet-cli query kes-period-info", () => {
  it("reports the window of the cardano-cli certificate (period 7) on preview at a fixed time", async () => {
    const r = await runCli([
      "query",
      "kes-period-info",
      "--op-cert-file",
      fixturePath("keys/cardano-cli-set", "node.cert"),
      "--shelley-genesis",
      fixturePath("genesis", "preview-shelley-genesis.json"),
      "--at",
      "2022-11-05T00:00:00Z",
      "--output-json",
    ]);
    ok(r);
    const info = JSON.parse(r.stdout);
    assert.equal(info.currentSlot, 950400);
    assert.equal(info.currentKesPeriod, 7);
    assert.equal(info.startKesPeriod, 7);
    assert.equal(info.endKesPeriod, 69);
    assert.equal(info.periodsRemaining, 62);
    assert.equal(info.expiresAt, "2023-02-05T12:00:00.000Z");
    assert.equal(info.status, "valid");
    const later = await runCli([
      "query",
      "kes-period-info",
      "--op-cert-file",
      fixturePath("keys/cardano-cli-set", "node.cert"),
      "--shelley-genesis",
      fixturePath("genesis", "preview-shelley-genesis.json"),
      "--at",
      "2023-02-05T12:00:00Z",
    ]);
    ok(later);
    assert.match(later.stdout, /status\s+expired/);
  });

  it("needs --shelley-genesis offline (with a node the node's genesis serves), and says so in one line", async () => {
    const r = await runCli([
      "query",
      "kes-period-info",
      "--op-cert-file",
      fixturePath("keys/cardano-cli-set", "node.cert"),
    ]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /--shelley-genesis: is required without a node \(--socket-path or --testnet-magic\)/);
  });
});
