// `devnet rotate-kes` as processes: a detached devnet (one pool, one relay, 0.1 s slots, 5 s KES periods) forging;
// both seeds/003 mix-ups refused with nothing changed; a rotation while the producer runs; the producer keeps
// forging, and its database then holds blocks under the old certificate followed only by blocks under the new
// one, each header's KES signature verifying under its own certificate's hot key; the relay, which validates
// every header itself, holds the same blocks.
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { decodeBlock } from "../../src/chain/block.ts";
import type { NodeStatus } from "../../src/cli/devnet/status.ts";
import { bytesToHex } from "../../src/crypto/bytes.ts";
import { kesVerify } from "../../src/crypto/kes.ts";
import { readShelleyGenesis } from "../../src/formats/genesis.ts";
import { KEY_KINDS, readKeyFile } from "../../src/formats/keys.ts";
import { readOperationalCertificate } from "../../src/formats/opcert.ts";
import { SlotClock } from "../../src/formats/slot-clock.ts";
import { ChainDb } from "../../src/storage/chain-db.ts";
import { runCli } from "../helpers/cli.ts";
import { waitFor } from "../helpers/wait.ts";

const root = mkdtempSync(join(tmpdir(), "pf-rotate-"));
const dir = join(root, "dn");
const poolDir = join(dir, "genesis", "pools", "pool1");
const pool = (f: string) => join(poolDir, f);
const scratch = (f: string) => join(root, f);

after(async () => {
  await runCli(["devnet", "down", "--dir", dir]);
  rmSync(root, { recursive: true, force: true });
});

async function producer(): Promise<NodeStatus> {
  const r = await runCli(["devnet", "status", "--dir", dir, "--output-json"]);
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as { nodes: NodeStatus[] }).nodes.find((n) => n.role === "producer")!;
}

async function cli(...args: string[]) {
  const r = await runCli(args);
  assert.equal(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
  return r;
}

const hotFiles = () => ["kes.skey", "kes.vkey", "node.cert"].map((f) => readFileSync(pool(f), "utf8"));

describe("devnet rotate-kes", () => {
  it("refuses both seeds/003 mix-ups, then rotates a forging pool, which keeps forging with the new opcert", async () => {
    const up = await runCli([
      "devnet",
      "up",
      "--dir",
      dir,
      "--detach",
      "--relays-per-pool",
      "1",
      "--slot-length",
      "0.1",
      "--active-slot-coeff",
      "0.5",
      "--slots-per-kes-period",
      "50",
    ]);
    assert.equal(up.code, 0, up.stderr);
    const clock = new SlotClock(readShelleyGenesis(join(dir, "genesis", "shelley-genesis.json")));
    const periodNow = () => clock.kesPeriodOfSlot(clock.slotAt(Date.now()));
    // Forging under the genesis certificate, and past KES period 0 so the new certificate starts later.
    await waitFor(
      "the producer forging in KES period 1",
      async () => ((await producer()).blocksForged ?? 0) >= 3 && periodNow() >= 1,
      60_000,
    );
    const oldCert = readOperationalCertificate(pool("node.cert"));
    assert.equal(oldCert.sequenceNumber, 0);
    const before = hotFiles();

    // A correct new certificate for a new KES key, made as a person would with the cardano-cli commands.
    copyFileSync(pool("cold.counter"), scratch("cold.counter"));
    await cli(
      "node",
      "key-gen-KES",
      "--verification-key-file",
      scratch("new.vkey"),
      "--signing-key-file",
      scratch("new.skey"),
    );
    await cli(
      "node",
      "issue-op-cert",
      "--kes-verification-key-file",
      scratch("new.vkey"),
      "--cold-signing-key-file",
      pool("cold.skey"),
      "--operational-certificate-issue-counter-file",
      scratch("cold.counter"),
      "--kes-period",
      String(periodNow()),
      "--out-file",
      scratch("new.cert"),
    );
    assert.equal(readOperationalCertificate(scratch("new.cert")).sequenceNumber, 1);

    // seeds/003: the new certificate deployed with the OLD KES key.
    const mixA = await runCli([
      "devnet",
      "rotate-kes",
      "pool1",
      "--dir",
      dir,
      "--kes-key",
      pool("kes.skey"),
      "--op-cert",
      scratch("new.cert"),
    ]);
    assert.equal(mixA.code, 1, mixA.stdout);
    assert.match(mixA.stdout, /FAIL {2}KES key .* is NOT the hot key certified by/);
    assert.match(mixA.stderr, /refused by the rotation gate \(failed: kes-key; .*nothing was changed/);
    // And the other way: the new KES key with the OLD certificate.
    copyFileSync(pool("node.cert"), scratch("old.cert"));
    const mixB = await runCli([
      "devnet",
      "rotate-kes",
      "pool1",
      "--dir",
      dir,
      "--kes-key",
      scratch("new.skey"),
      "--op-cert",
      scratch("old.cert"),
    ]);
    assert.equal(mixB.code, 1, mixB.stdout);
    assert.match(mixB.stderr, /failed: kes-key, counter;/);
    assert.deepEqual(hotFiles(), before, "a refused rotation changes no file");
    const stillForging = await producer();
    assert.equal(stillForging.forging, true);
    assert.equal(stillForging.opcertCounter, 0);

    // The rotation itself: new key, next counter, the current period, gate, swap, SIGHUP.
    const forgedBefore = (await producer()).blocksForged!;
    const rotate = await runCli(["devnet", "rotate-kes", "pool1", "--dir", dir]);
    assert.equal(rotate.code, 0, `${rotate.stdout}\n${rotate.stderr}`);
    assert.equal(rotate.stdout.match(/ {2}PASS {2}/g)?.length, 4, rotate.stdout);
    assert.match(
      rotate.stdout,
      /PASS {2}new node\.cert carries issue number 1, the next after 0 \(last used, on chain\)/,
    );
    assert.match(rotate.stdout, /pool1-producer reloaded its keys on SIGHUP and forges with issue number 1/);
    const newCert = readOperationalCertificate(pool("node.cert"));
    const newVkey = readKeyFile(pool("kes.vkey"), KEY_KINDS.kesVerification);
    assert.equal(newCert.sequenceNumber, 1);
    assert.ok(newCert.kesPeriod >= 1 && newCert.kesPeriod <= periodNow(), `period ${newCert.kesPeriod} from the clock`);
    assert.deepEqual(newCert.hotVkey, newVkey);
    assert.notDeepEqual(newVkey, oldCert.hotVkey);
    assert.match(readFileSync(pool("cold.counter"), "utf8"), /Next certificate issue number: 2/);
    const printed = [mixA, mixB, rotate].map((r) => r.stdout + r.stderr).join("\n");
    for (const secret of [pool("kes.skey"), scratch("new.skey"), pool("cold.skey")]) {
      const kind = secret.endsWith("cold.skey") ? KEY_KINDS.coldSigning : KEY_KINDS.kesSigning;
      const hex = bytesToHex(readKeyFile(secret, kind));
      for (let i = 0; i + 32 <= hex.length; i += 32) assert.ok(!printed.includes(hex.slice(i, i + 32)), secret);
    }
    const after = await waitFor(
      "three more blocks forged after the rotation",
      async () => {
        const p = await producer();
        return (p.blocksForged ?? 0) >= forgedBefore + 3 ? p : undefined;
      },
      60_000,
    );
    assert.equal(after.forging, true);
    assert.equal(after.opcertCounter, 1);

    // The relay follows the producer and validates every header itself: the network accepts the new opcert.
    await waitFor(
      "the relay at the producer's tip",
      async () => {
        const r = await runCli(["devnet", "status", "--dir", dir, "--output-json"]);
        const [p, relay] = (JSON.parse(r.stdout) as { nodes: NodeStatus[] }).nodes;
        return relay!.tipBlock !== null && relay!.tipBlock >= after.tipBlock! && p!.forging === true;
      },
      30_000,
    );
    const down = await runCli(["devnet", "down", "--dir", dir]);
    assert.equal(down.code, 0, down.stderr);
    const log = readFileSync(join(dir, "logs", "pool1-producer.log"), "utf8");
    assert.doesNotMatch(log, /forged block failed validation|refused by the consistency gate|forging stopped/);

    // The chain as stored: old-certificate blocks, then new-certificate blocks only.
    const headersOf = (node: string) => {
      const db = ChainDb.open(join(dir, "nodes", node, "db"));
      const hs = Array.from({ length: db.length }, (_, i) => decodeBlock(db.readBlock(i)).header);
      db.close();
      return hs;
    };
    const headers = headersOf("pool1-producer");
    const relayed = headersOf("pool1-relay1");
    assert.ok(relayed.length >= after.tipBlock!, "the relay holds the chain up to the tip seen after the rotation");
    assert.deepEqual(
      relayed.map((h) => bytesToHex(h.hash)),
      headers.slice(0, relayed.length).map((h) => bytesToHex(h.hash)),
      "the relay adopted the producer's blocks",
    );
    assert.ok(
      relayed.some((h) => h.body.opcert.sequenceNumber === 1n),
      "including blocks under the new opcert",
    );
    const counters = headers.map((h) => Number(h.body.opcert.sequenceNumber));
    const firstNew = counters.indexOf(1);
    assert.ok(firstNew >= 3, `at least 3 blocks before the rotation (counters ${counters.join("")})`);
    assert.ok(counters.length - firstNew >= 3, "at least 3 blocks after it");
    assert.deepEqual(
      counters,
      counters.map((_, i) => (i < firstNew ? 0 : 1)),
      "no block under the old certificate after the first under the new one",
    );
    for (const h of headers) {
      const cert = h.body.opcert.sequenceNumber === 0n ? oldCert : newCert;
      assert.equal(bytesToHex(h.body.opcert.hotVkey), bytesToHex(cert.hotVkey));
      assert.equal(Number(h.body.opcert.kesPeriod), cert.kesPeriod);
      const t = clock.kesPeriodOfSlot(Number(h.body.slot)) - cert.kesPeriod;
      assert.ok(
        kesVerify(cert.hotVkey, t, h.bodyBytes, h.kesSignature),
        `KES signature of block ${h.body.blockNumber}`,
      );
    }
  });

  it("with the producer stopped rotates the files only; says what is wrong with a missing or unknown pool", async () => {
    const r = await cli("devnet", "rotate-kes", "pool1", "--dir", dir);
    assert.match(r.stdout, /pool1-producer is not running; it will use the new keys when it starts/);
    assert.equal(readOperationalCertificate(pool("node.cert")).sequenceNumber, 2);

    const missing = await runCli(["devnet", "rotate-kes", "--dir", dir]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /devnet rotate-kes: missing POOL/);
    const unknown = await runCli(["devnet", "rotate-kes", "pool9", "--dir", dir]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /pool9: no such pool in the devnet .* \(pools: pool1\)/);
    const half = await runCli(["devnet", "rotate-kes", "pool1", "--dir", dir, "--kes-key", scratch("new.skey")]);
    assert.equal(half.code, 1);
    assert.match(half.stderr, /--kes-key and --op-cert go together/);
    const none = await runCli(["devnet", "rotate-kes", "pool1", "--dir", join(root, "nothing")]);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /no devnet here/);
  });

  it("a certificate that never forged: the producer refuses the next one, and the chain's counter puts it right", async () => {
    // Stopped, the producer's chain last saw issue number 1 (the first test) and node.cert carries 2 (the second).
    // Rotating again now can only go by node.cert: 3, two above the chain, which the ledger would refuse.
    const blind = await cli("devnet", "rotate-kes", "pool1", "--dir", dir);
    assert.match(blind.stdout, /not running, so the chain's last issue number is not known/);
    assert.equal(readOperationalCertificate(pool("node.cert")).sequenceNumber, 3);
    const up = await runCli(["devnet", "up", "--dir", dir, "--detach"]);
    assert.equal(up.code, 0, up.stderr);
    const refused = await waitFor("the producer refusing issue number 3", async () => {
      const p = await producer();
      return p.running && p.forging === false ? p : undefined;
    });
    assert.equal(refused.blocksForged, 0);
    const refusal = readFileSync(join(dir, "logs", "pool1-producer.log"), "utf8")
      .split("\n")
      .filter((l) => l.includes("refused by the consistency gate"))
      .at(-1)!;
    assert.match(JSON.parse(refusal).reason, /issue number 3, more than one above 1 seen on chain/);

    const fix = await cli("devnet", "rotate-kes", "pool1", "--dir", dir);
    assert.match(fix.stdout, /the chain's last issue number for the pool is 1/);
    assert.match(fix.stdout, /PASS {2}new node\.cert carries issue number 2, the next after 1 \(last used, on chain\)/);
    assert.match(fix.stdout, /forges with issue number 2/);
    const forging = await waitFor(
      "the producer forging again",
      async () => {
        const p = await producer();
        return (p.blocksForged ?? 0) >= 2 ? p : undefined;
      },
      60_000,
    );
    assert.equal(forging.opcertCounter, 2);
    assert.equal(forging.forging, true);
  });

  it("a producer that refuses the new set gets the previous one back (a wrong VRF key deployed meanwhile)", async () => {
    // The rotation gate does not look at the VRF key; the producer's own gate does, on SIGHUP.
    const previous = readFileSync(pool("node.cert"), "utf8");
    copyFileSync(pool("vrf.skey"), scratch("vrf.skey.good"));
    await cli(
      "node",
      "key-gen-VRF",
      "--verification-key-file",
      scratch("other-vrf.vkey"),
      "--signing-key-file",
      scratch("other-vrf.skey"),
    );
    copyFileSync(scratch("other-vrf.skey"), pool("vrf.skey"));
    const r = await runCli(["devnet", "rotate-kes", "pool1", "--dir", dir]);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, /pool1-producer refused the new keys \(VRF key .* is not the one pool .* registered/);
    assert.match(r.stderr, /rolled back to rev-\d+/);
    assert.match(r.stderr, /did not confirm the previous keys either/, "the VRF key is still wrong");
    assert.equal(readFileSync(pool("node.cert"), "utf8"), previous, "the previous certificate is current again");

    copyFileSync(scratch("vrf.skey.good"), pool("vrf.skey"));
    const pid = Number(readFileSync(join(dir, "run", "pool1-producer.pid"), "utf8"));
    process.kill(pid, "SIGHUP");
    const back = await waitFor("the producer forging with its previous keys", async () => {
      const p = await producer();
      return p.forging === true ? p : undefined;
    });
    assert.equal(back.opcertCounter, 2);
  });
});
