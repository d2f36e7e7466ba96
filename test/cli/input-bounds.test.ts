// Issue 15, defect 5: inputs that hung, looped, rounded or crashed the CLI. The real poolfleet-cli as a child
// process: bounded reads of regular files only, exact integers, duplicate envelope keys, one-line errors.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { type CliResult, runCli } from "../helpers/cli.ts";
import { fixturePath } from "../helpers/fixtures.ts";

const dir = mkdtempSync(join(tmpdir(), "pf-input-bounds-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const f = (name: string) => join(dir, name);
for (const name of readdirSync(fixturePath("keys/cardano-cli-set"))) {
  copyFileSync(fixturePath("keys/cardano-cli-set", name), f(name));
}
const genesis = fixturePath("genesis", "preview-shelley-genesis.json");

/** Generous for a CLI start on a loaded machine; the old code hung (FIFO, a huge slot) or ran away (/dev/zero). */
const TIMEOUT_MS = 20_000;
const cli = (args: string[]) => runCli(args, TIMEOUT_MS);

function assertOneLineError(r: CliResult, pattern: RegExp) {
  assert.equal(r.code, 1, `expected exit 1, got ${r.code} (-1: killed after ${TIMEOUT_MS} ms): ${r.stderr}`);
  const lines = r.stderr.trim().split("\n");
  assert.equal(lines.length, 1, `one line expected: ${r.stderr}`);
  assert.match(lines[0]!, pattern);
  assert.doesNotMatch(r.stderr, /internal error/);
}

const issue = (opts: { kesVkey?: string; counter?: string; period?: string; out?: string } = {}) => [
  "node",
  "issue-op-cert",
  "--kes-verification-key-file",
  opts.kesVkey ?? f("kes.vkey"),
  "--cold-signing-key-file",
  f("cold.skey"),
  "--operational-certificate-issue-counter-file",
  opts.counter ?? f("cold.counter"),
  "--kes-period",
  opts.period ?? "0",
  "--out-file",
  opts.out ?? f("out.cert"),
];

const schedule = (start: string, length: string, f_ = "0.05") => [
  "query",
  "leadership-schedule",
  "--vrf-signing-key-file",
  f("vrf.skey"),
  "--epoch-nonce",
  "00".repeat(32),
  "--epoch-start-slot",
  start,
  "--epoch-length",
  length,
  "--relative-stake",
  "0.5",
  "--active-slot-coeff",
  f_,
];

describe("reads are bounded: regular files only, and at most a limit", () => {
  it("/dev/zero as a key file is refused at once", async () => {
    assertOneLineError(
      await cli(issue({ kesVkey: "/dev/zero" })),
      /\/dev\/zero: is a character device, expected a regular file/,
    );
  });

  it("a FIFO as a key file is refused without waiting for a writer", async () => {
    execFileSync("mkfifo", [f("pipe.vkey")]);
    assertOneLineError(
      await cli(issue({ kesVkey: f("pipe.vkey") })),
      /pipe\.vkey: is a named pipe \(FIFO\), expected a regular file/,
    );
  });

  it("a directory as a genesis is refused", async () => {
    assertOneLineError(
      await cli(["query", "kes-period-info", "--op-cert-file", f("node.cert"), "--shelley-genesis", dir]),
      /: is a directory, expected a regular file/,
    );
  });

  it("a 600 MB file is refused with the limit, as a key and as a genesis", async () => {
    writeFileSync(f("huge"), "");
    truncateSync(f("huge"), 600 * 1024 * 1024); // sparse: no disk used
    assertOneLineError(
      await cli(issue({ kesVkey: f("huge") })),
      /huge: is larger than 64 KiB, the limit for a text envelope \(629145600 bytes\)/,
    );
    assertOneLineError(
      await cli(["query", "kes-period-info", "--op-cert-file", f("node.cert"), "--shelley-genesis", f("huge")]),
      /huge: is larger than 32 MiB, the limit for a genesis or config file/,
    );
  });
});

describe("numbers are exact, or refused", () => {
  it("--kes-period -1 says the value is negative (not that the argument is ambiguous)", async () => {
    assertOneLineError(
      await cli(issue({ period: "-1" })),
      /--kes-period: -1 is negative; expected a whole number >= 0/,
    );
    assert.equal(existsSync(f("out.cert")), false);
  });

  it("a flag followed by another flag instead of its value says it needs a value", async () => {
    assertOneLineError(
      await cli([...issue().slice(0, -4), "--kes-period", "--out-file", f("x.cert")]),
      /--kes-period needs a value/,
    );
  });

  it("leadership-schedule from slot 9007199254740990 is refused instead of looping forever", async () => {
    assertOneLineError(
      await cli(schedule("9007199254740990", "10")),
      /--epoch-start-slot: 9007199254740990 plus 10 slots goes past slot 9007199254740991/,
    );
  });

  it("leadership-schedule over an absurd epoch length is refused instead of running for days", async () => {
    assertOneLineError(
      await cli(schedule("0", "1000000000")),
      /--epoch-length: 1000000000 slots is more than 10000000/,
    );
  });

  it("--active-slot-coeff 0 says it must be above 0 and at most 1", async () => {
    assertOneLineError(await cli(schedule("0", "10", "0")), /--active-slot-coeff: 0 must be above 0 and at most 1$/);
  });

  it("an issue number that cannot be advanced exactly is refused, by new-counter and by issue-op-cert", async () => {
    assertOneLineError(
      await cli([
        "node",
        "new-counter",
        "--cold-verification-key-file",
        f("cold.vkey"),
        "--counter-value",
        "9007199254740991",
        "--operational-certificate-issue-counter-file",
        f("near.counter"),
      ]),
      /--counter-value: 9007199254740991 is too large: issue numbers go up to 9007199254740990/,
    );
    assert.equal(existsSync(f("near.counter")), false);
    // A counter file at 2^53-1 (CBOR [uint64, cold vkey]), as another tool could have left it.
    const vkeyHex = (JSON.parse(readFileSync(f("cold.vkey"), "utf8")) as { cborHex: string }).cborHex.slice(4);
    const counter = {
      type: "NodeOperationalCertificateIssueCounter",
      description: "Next certificate issue number: 9007199254740991",
      cborHex: `821b001fffffffffffff5820${vkeyHex}`,
    };
    writeFileSync(f("near.counter"), JSON.stringify(counter, null, 4));
    const before = readFileSync(f("near.counter"));
    assertOneLineError(
      await cli(issue({ counter: f("near.counter"), out: f("near.cert") })),
      /near\.counter: next issue number 9007199254740991 is too large to advance exactly/,
    );
    assert.deepEqual(readFileSync(f("near.counter")), before);
    assert.equal(existsSync(f("near.cert")), false);
  });

  it("kes-period-info for a certificate at a huge KES period says so in one line", async () => {
    writeFileSync(f("huge-period.counter"), readFileSync(f("cold.counter")));
    const made = await cli(
      issue({ counter: f("huge-period.counter"), period: "9007199254740991", out: f("huge-period.cert") }),
    );
    assert.equal(made.code, 0, made.stderr);
    assertOneLineError(
      await cli(["query", "kes-period-info", "--op-cert-file", f("huge-period.cert"), "--shelley-genesis", genesis]),
      /huge-period\.cert: starts at KES period 9007199254740991, so its window would end after the last representable date/,
    );
  });
});

describe("a text envelope that gives a key twice is refused", () => {
  const vkey = JSON.parse(readFileSync(fixturePath("keys/cardano-cli-set", "kes.vkey"), "utf8")) as {
    cborHex: string;
  };
  it('"cborHex" twice (JSON.parse would silently take the last)', async () => {
    const other = `5820${"11".repeat(32)}`;
    writeFileSync(
      f("twice.vkey"),
      `{"type": "KesVerificationKey_ed25519_kes_2^6", "description": "", "cborHex": "${vkey.cborHex}", "cborHex": "${other}"}`,
    );
    assertOneLineError(
      await cli(issue({ kesVkey: f("twice.vkey"), out: f("twice.cert") })),
      /twice\.vkey: text envelope gives "cborHex" twice/,
    );
    assert.equal(existsSync(f("twice.cert")), false);
  });
  it('"type" twice, once spelled with an escape', async () => {
    writeFileSync(
      f("escaped.vkey"),
      `{"type": "StakePoolVerificationKey_ed25519", "\\u0074ype": "KesVerificationKey_ed25519_kes_2^6", "cborHex": "${vkey.cborHex}"}`,
    );
    assertOneLineError(
      await cli(issue({ kesVkey: f("escaped.vkey") })),
      /escaped\.vkey: text envelope gives "type" twice/,
    );
  });
});
