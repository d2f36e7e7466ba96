// Issue 15, defect 5: the CLI must never destroy a key. The real poolfleet-cli as a child process, on real files:
// an output may replace only a text envelope of its own kind that is not a signing key, and a command writes all
// of its outputs or none (a missing directory, a full disk).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type CliResult, runCli } from "../helpers/cli.ts";
import { fixturePath } from "../helpers/fixtures.ts";

const root = mkdtempSync(join(tmpdir(), "pf-key-safety-"));
after(() => rmSync(root, { recursive: true, force: true }));

const ok = (r: CliResult) => assert.equal(r.code, 0, `exit ${r.code}: ${r.stderr}`);

function assertOneLineError(r: CliResult, pattern: RegExp) {
  assert.equal(r.code, 1, `expected exit 1, got ${r.code}: ${r.stderr}`);
  const lines = r.stderr.trim().split("\n");
  assert.equal(lines.length, 1, `one line expected: ${r.stderr}`);
  assert.match(lines[0]!, pattern);
  assert.doesNotMatch(r.stderr, /internal error/);
}

let n = 0;
/** A fresh directory holding a copy of the cardano-cli key set (cold key, counter at 1, KES and VRF keys). */
function keySet(): (name: string) => string {
  const dir = join(root, `set${n++}`);
  mkdirSync(dir);
  for (const name of readdirSync(fixturePath("keys/cardano-cli-set"))) {
    copyFileSync(fixturePath("keys/cardano-cli-set", name), join(dir, name));
  }
  return (name) => join(dir, name);
}

/** Every file in the directory of `f`, with its bytes: what a refused command must leave exactly as it was. */
function snapshot(f: (name: string) => string): Map<string, string> {
  const dir = f("");
  return new Map(readdirSync(dir).map((name) => [name, readFileSync(join(dir, name)).toString("hex")]));
}

const issue = (f: (name: string) => string, out: string, counter = f("cold.counter")) => [
  "node",
  "issue-op-cert",
  "--kes-verification-key-file",
  f("kes.vkey"),
  "--cold-signing-key-file",
  f("cold.skey"),
  "--operational-certificate-issue-counter-file",
  counter,
  "--kes-period",
  "9",
  "--out-file",
  out,
];

describe("outputs replace only a file of their own kind, never a signing key", () => {
  it("issue-op-cert --out-file cold.skey is refused and the cold key and counter stay as they were", async () => {
    const f = keySet();
    const before = snapshot(f);
    assertOneLineError(
      await runCli(issue(f, f("cold.skey"))),
      /cold\.skey: already exists and is a cold signing key \(StakePoolSigningKey_ed25519\); refusing to overwrite it with an operational certificate/,
    );
    assert.deepEqual(snapshot(f), before);
  });

  it("issue-op-cert --out-file cold.counter is refused and the counter is not advanced", async () => {
    const f = keySet();
    // Also through another spelling of the same path.
    assertOneLineError(await runCli(issue(f, `${f("")}/./cold.counter`)), /is given for two outputs/);
    const before = snapshot(f);
    assertOneLineError(
      await runCli(issue(f, f("cold.counter"))),
      /cold\.counter: is given for two outputs of this command; each output needs its own file/,
    );
    assert.deepEqual(snapshot(f), before);
  });

  it("issue-op-cert --out-file onto another kind of public file (the KES verification key) is refused", async () => {
    const f = keySet();
    const before = snapshot(f);
    assertOneLineError(
      await runCli(issue(f, f("kes.vkey"))),
      /kes\.vkey: already exists and is a KES verification key/,
    );
    assert.deepEqual(snapshot(f), before);
  });

  it("issue-op-cert replaces an existing certificate, and advances the counter with it", async () => {
    const f = keySet();
    ok(await runCli(issue(f, f("node.cert"))));
    assert.match(readFileSync(f("cold.counter"), "utf8"), /Next certificate issue number: 2/);
    const cert = JSON.parse(readFileSync(f("node.cert"), "utf8")) as { type: string };
    assert.equal(cert.type, "NodeOperationalCertificate");
  });

  it("node new-counter pointed at a signing key is refused and the key stays", async () => {
    const f = keySet();
    const before = snapshot(f);
    for (const target of ["cold.skey", "kes.skey", "vrf.skey"]) {
      assertOneLineError(
        await runCli([
          "node",
          "new-counter",
          "--cold-verification-key-file",
          f("cold.vkey"),
          "--counter-value",
          "3",
          "--operational-certificate-issue-counter-file",
          f(target),
        ]),
        new RegExp(`${target.replace(".", "\\.")}: already exists and is .*signing key`),
      );
    }
    assert.deepEqual(snapshot(f), before);
  });

  it("a signing key whose file is not an envelope any more (a .skey name) is still never replaced", async () => {
    const f = keySet();
    execFileSync("sh", ["-c", `printf 'garbage' > '${f("old.skey")}'`]);
    assertOneLineError(
      await runCli([
        "node",
        "new-counter",
        "--cold-verification-key-file",
        f("cold.vkey"),
        "--counter-value",
        "3",
        "--operational-certificate-issue-counter-file",
        f("old.skey"),
      ]),
      /old\.skey: already exists and is named as a signing key/,
    );
    assert.equal(readFileSync(f("old.skey"), "utf8"), "garbage");
  });

  it("node new-counter replaces an existing counter", async () => {
    const f = keySet();
    ok(
      await runCli([
        "node",
        "new-counter",
        "--cold-verification-key-file",
        f("cold.vkey"),
        "--counter-value",
        "12",
        "--operational-certificate-issue-counter-file",
        f("cold.counter"),
      ]),
    );
    assert.match(readFileSync(f("cold.counter"), "utf8"), /Next certificate issue number: 12/);
  });
});

describe("a command writes all of its outputs or none", () => {
  it("key-gen-KES whose verification key cannot be written leaves no signing key, and the rerun works", async () => {
    const f = keySet();
    const args = (vkey: string) => [
      "node",
      "key-gen-KES",
      "--verification-key-file",
      vkey,
      "--signing-key-file",
      f("new-kes.skey"),
    ];
    assertOneLineError(
      await runCli(args(f("missing-dir/new-kes.vkey"))),
      /new-kes\.vkey: its directory does not exist/,
    );
    assert.equal(existsSync(f("new-kes.skey")), false, "the signing key was left behind");
    ok(await runCli(args(f("new-kes.vkey"))));
    assert.ok(existsSync(f("new-kes.skey")) && existsSync(f("new-kes.vkey")));
  });

  it("key-gen whose counter cannot be written leaves neither cold key file", async () => {
    const f = keySet();
    assertOneLineError(
      await runCli([
        "node",
        "key-gen",
        "--cold-verification-key-file",
        f("c2.vkey"),
        "--cold-signing-key-file",
        f("c2.skey"),
        "--operational-certificate-issue-counter-file",
        f("missing-dir/c2.counter"),
      ]),
      /c2\.counter: its directory does not exist/,
    );
    assert.equal(existsSync(f("c2.skey")), false);
    assert.equal(existsSync(f("c2.vkey")), false);
  });

  it("issue-op-cert whose counter is refused writes no certificate either", async () => {
    const f = keySet();
    // The counter path names the KES verification key: reading it as a counter fails before anything is written.
    assertOneLineError(await runCli(issue(f, f("fresh.cert"), f("kes.vkey"))), /kes\.vkey: is a KES verification key/);
    assert.equal(existsSync(f("fresh.cert")), false);
  });

  const isRoot = process.getuid?.() === 0;
  describe(
    "on a full disk (a tmpfs this test mounts, room for two files)",
    { skip: isRoot ? false : "needs root" },
    () => {
      const mnt = join(root, "full");
      before(() => {
        mkdirSync(mnt);
        execFileSync("mount", ["-t", "tmpfs", "-o", "size=8k", "tmpfs", mnt]);
      });
      after(() => execFileSync("umount", ["-l", mnt]));

      it("key-gen runs out of space at its third file and leaves nothing behind", async () => {
        const r = await runCli([
          "node",
          "key-gen",
          "--cold-verification-key-file",
          join(mnt, "cold.vkey"),
          "--cold-signing-key-file",
          join(mnt, "cold.skey"),
          "--operational-certificate-issue-counter-file",
          join(mnt, "cold.counter"),
        ]);
        assertOneLineError(r, /cold\.counter: cannot be written: no space left on the device/);
        assert.deepEqual(readdirSync(mnt), [], "files (or temporaries) were left on the full disk");
      });
    },
  );
});
