// The operator's StakePool on the real cluster: the real Manager with the StakePool and Relay controllers, key
// Secrets from a real devnet (`poolfleet-cli genesis create`), and pods of the node image that really run
// poolfleet-node — the producer forging on its gated keys, on a local PersistentVolume, behind the operator's
// NetworkPolicies, and the relays following it over the operator's Services. Ready comes from the nodes' own /ready.
// On the same cluster: every relay's tip follows the producer's, a transaction submitted at a relay ends up in a
// block the producer forged, and a deleted producer pod comes back on its PersistentVolume and forges on from its
// chain. The test process reads the nodes' /metrics and /api as the operator does (its ipBlock peer).
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { CoreV1Api, CustomObjectsApi, type KubernetesObject, type V1Pod } from "@kubernetes/client-node";
import { GROUP, VERSION } from "../../src/api/common.ts";
import type { StakePoolStatus } from "../../src/api/stakepool.ts";
import { bytesToHex } from "../../src/crypto/bytes.ts";
import { blake2b256 } from "../../src/crypto/hash.ts";
import { KEY_KINDS, readKeyFile } from "../../src/formats/keys.ts";
import { buildTx } from "../../src/ledger/tx-build.ts";
import { NODE_API_PORT } from "../../src/operator/builders/node-pod.ts";
import { relayController } from "../../src/operator/controllers/relay.ts";
import { stakePoolController } from "../../src/operator/controllers/stakepool.ts";
import { operatorLogger } from "../../src/operator/main.ts";
import { Manager } from "../../src/operator/manager/manager.ts";
import { SecretRedactor } from "../../src/operator/manager/redact.ts";
import { runCli } from "../helpers/cli.ts";
import { containerTier } from "../helpers/docker.ts";
import { installProjectCrds } from "../helpers/envtest.ts";
import { configMapFromDir, secretFromFiles } from "../helpers/from-file.ts";
import { wallet } from "../helpers/ledger.ts";
import { type RealCluster, startRealCluster, realClusterSkip } from "../helpers/real-cluster.ts";
import {
  asExpected,
  dnsProbeScript,
  execIn,
  formatTable,
  hostProbe,
  probeTable,
  type ProbeRow,
  tcpProbeScript,
} from "../helpers/real-cluster-probe.ts";
import { waitWithin } from "../helpers/wait.ts";

const waitFor = waitWithin(180_000);
const NS = "pool";
const HOT = ["kes.skey", "vrf.skey", "node.cert"];
const RELAYS = ["p1-relay-0", "p1-relay-1"];
const METRICS_PORT = 12798; // spec.metrics.port's default
const SCRAPE_FROM = {
  namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } },
  podSelector: { matchLabels: { app: "prometheus" } },
};
type Pool = KubernetesObject & { status?: StakePoolStatus };
interface Tip {
  slot: string;
  blockNo: string;
  hash: string;
}

describe("a StakePool on a real cluster", { timeout: 20 * 60_000, skip: realClusterSkip() }, () => {
  let rc: RealCluster;
  let core: CoreV1Api;
  let custom: CustomObjectsApi;
  let manager: Manager;
  let dir: string;
  let image: string;

  const readPod = (name: string) => core.readNamespacedPod({ name, namespace: NS }).catch(() => undefined);
  const runningReady = (p: V1Pod | undefined) =>
    p?.status?.phase === "Running" && p.status.conditions?.some((c) => c.type === "Ready" && c.status === "True");
  const getPool = () =>
    custom.getNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: NS,
      plural: "stakepools",
      name: "p1",
    }) as Promise<Pool>;

  const logsOf = (name: string) => core.readNamespacedPodLog({ name, namespace: NS }).catch(() => "");
  const describePod = async (name: string) => {
    const p = await readPod(name);
    return `${name}: ${JSON.stringify(p?.status?.containerStatuses ?? p?.status?.conditions)}\n${(await logsOf(name)).slice(-2000)}`;
  };
  const withPods = async (e: unknown) => {
    const err = e instanceof Error ? e : new Error(String(e));
    for (const name of ["p1-producer-0", ...RELAYS]) err.message += `\n${await describePod(name)}`;
    return err;
  };
  /** A node pod's address, where the test process reaches it as the operator does (the policies' ipBlock peer). */
  const podUrl = async (name: string, port: number) => {
    const ip = (await readPod(name))?.status?.podIP;
    if (!ip) throw new Error(`pod ${name} has no address`);
    return `http://${ip}:${port}`;
  };
  const tipOf = async (name: string): Promise<Tip> => {
    const res = await fetch(`${await podUrl(name, NODE_API_PORT)}/api/ledger`, { signal: AbortSignal.timeout(3000) });
    const tip = ((await res.json()) as { tip: Tip | null }).tip;
    if (!tip) throw new Error(`${name} has no tip`);
    return tip;
  };
  const metric = async (name: string, metricName: string) => {
    const res = await fetch(`${await podUrl(name, METRICS_PORT)}/metrics`, { signal: AbortSignal.timeout(3000) });
    const line = (await res.text()).split("\n").find((l) => l.startsWith(`${metricName} `));
    if (!line) throw new Error(`${name} has no metric ${metricName}`);
    return line.split(" ")[1]!;
  };
  const submit = async (name: string, bytes: Uint8Array) => {
    const res = await fetch(`${await podUrl(name, NODE_API_PORT)}/api/submit/tx`, {
      method: "POST",
      headers: { "content-type": "application/cbor" },
      body: Buffer.from(bytes),
      signal: AbortSignal.timeout(5000),
    });
    return { status: res.status, body: JSON.parse(await res.text()) as string };
  };

  before(async () => {
    const tier = await containerTier();
    if (!("image" in tier)) throw new Error(`the real-cluster tier needs the node image: ${tier.skip}`);
    image = tier.image;
    rc = await startRealCluster({ images: [image] });
    core = rc.kc.makeApiClient(CoreV1Api);
    custom = rc.kc.makeApiClient(CustomObjectsApi);
    await installProjectCrds(rc.kc);
    dir = mkdtempSync(join(tmpdir(), "pf-rc-pool-"));
    const made = await runCli(["genesis", "create", "--pools", "1", "--out-dir", join(dir, "devnet")]);
    assert.equal(made.code, 0, made.stderr);
    const redactor = new SecretRedactor();
    // The operator runs here, on the host, not in a pod: its peer in the NetworkPolicies is the host's address on
    // the node's link (where its /metrics reads come from).
    const operatorPeer = { ipBlock: { cidr: `${rc.net.hostIp}/32` } };
    manager = new Manager({
      kc: rc.kc,
      controllers: [stakePoolController({ pollMs: 500, operatorPeer }), relayController({ operatorPeer })],
      log: operatorLogger(process.env.POOLFLEET_TEST_LOG ?? "silent", redactor),
      redactor,
      queue: { backoffBaseMs: 50, backoffMaxMs: 1000 },
    });
    await manager.start();
  });

  after(async () => {
    await manager?.stop();
    await rc?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("runs the producer and its relay as real nodes: Ready, forging, the relay adopting the producer's blocks", async () => {
    const poolDir = join(dir, "devnet", "pools", "pool1");
    await core.createNamespace({ body: { metadata: { name: NS } } });
    await core.createNamespacedConfigMap({
      namespace: NS,
      body: configMapFromDir(NS, "devnet-network", join(dir, "devnet")),
    });
    await core.createNamespacedConfigMap({
      namespace: NS,
      body: { metadata: { name: "p1-cold" }, data: { "cold.vkey": readFileSync(join(poolDir, "cold.vkey"), "utf8") } },
    });
    await core.createNamespacedSecret({
      namespace: NS,
      body: secretFromFiles(
        NS,
        "p1-keys",
        HOT.map((f) => join(poolDir, f)),
      ),
    });
    await custom.createNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: NS,
      plural: "stakepools",
      body: {
        apiVersion: `${GROUP}/${VERSION}`,
        kind: "StakePool",
        metadata: { name: "p1", namespace: NS },
        spec: {
          network: { name: "custom", configMapRef: { name: "devnet-network" } },
          keys: { secretRef: { name: "p1-keys" }, coldVerificationKeyRef: { name: "p1-cold" } },
          relays: { replicas: RELAYS.length },
          // Prometheus's pods in namespace monitoring may scrape; nobody else (the policy table below checks).
          metrics: { scrapeFrom: SCRAPE_FROM },
        },
      },
    });

    try {
      const producer = await waitFor("pod p1-producer-0 Running and Ready", async () => {
        const p = await readPod("p1-producer-0");
        return runningReady(p) ? p : undefined;
      });
      assert.equal(producer.spec?.nodeName, rc.nodeName);
      for (const relay of RELAYS)
        await waitFor(`pod ${relay} Running and Ready`, async () => runningReady(await readPod(relay)));
      const pool = await waitFor("StakePool p1 Ready", async () => {
        const p = await getPool();
        return p.status?.conditions?.find((c) => c.type === "Ready")?.status === "True" ? p : undefined;
      });
      assert.equal(pool.status?.producer?.ready, true);
      // Blocks the producer forged reach the relays over the operator's Services, through its NetworkPolicies.
      for (const relay of RELAYS) {
        const adopted = await waitFor(`${relay} adopting blocks from the producer`, async () => {
          const line = (await logsOf(relay)).split("\n").find((l) => l.includes('"event":"adopted"'));
          return line;
        });
        assert.match(adopted, /"blocks":[1-9]/);
      }
      // The chain database is on a local PersistentVolume of the cluster's storage class, owned by the pod's fsGroup.
      const claim = await core.readNamespacedPersistentVolumeClaim({ name: "data-p1-producer-0", namespace: NS });
      assert.equal(claim.status?.phase, "Bound");
      assert.equal(claim.spec?.storageClassName, rc.storageClass);
      // Forging comes from the producer's own /metrics, read through its NetworkPolicy's operator rule.
      // The devnet's first block is block number 0, so a producer that has forged shows blocksForged >= 1 and a
      // tip past slot 0 (CI once read the status in the moment block 0 was its only block).
      const forging = await waitFor("StakePool p1 Forging, with a block forged", async () => {
        const p = await getPool();
        const on = p.status?.conditions?.find((c) => c.type === "Forging")?.status === "True";
        return on && (p.status?.blocksForged ?? 0) >= 1 ? p : undefined;
      });
      assert.equal(forging.status?.phase, "Forging");
      assert.ok((forging.status?.tip?.slot ?? 0) > 0, JSON.stringify(forging.status?.tip));
    } catch (e) {
      throw await withPods(e);
    }
  });

  it("keeps every relay's tip following the producer's", async () => {
    try {
      // Three rounds, each on a newer producer tip: both ends are read in one poll, and the round passes when a
      // relay's tip is the producer's very block (same hash), so a relay stuck on an old block or another fork fails.
      let last = -1;
      const rounds: string[] = [];
      for (let round = 0; round < 3; round++) {
        const from = await waitFor(`the producer's tip past block ${last}`, async () => {
          const t = await tipOf("p1-producer-0");
          return Number(t.blockNo) > last ? t : undefined;
        });
        for (const relay of RELAYS) {
          const seen = await waitFor(`${relay} on the producer's tip (block ${from.blockNo} or later)`, async () => {
            const [p, r] = await Promise.all([tipOf("p1-producer-0"), tipOf(relay)]);
            return Number(p.blockNo) >= Number(from.blockNo) && p.hash === r.hash ? r : undefined;
          });
          rounds.push(`round ${round}: ${relay} at block ${seen.blockNo} slot ${seen.slot} ${seen.hash.slice(0, 16)}`);
          last = Math.max(last, Number(seen.blockNo)); // the next round waits for a block after every one seen
        }
      }
      process.stderr.write(`relays following the producer:\n  ${rounds.join("\n  ")}\n`);
    } catch (e) {
      throw await withPods(e);
    }
  });

  it("puts a transaction submitted at a relay into a block the producer forges", async () => {
    try {
      const pool1 = (f: string) => join(dir, "devnet", "pools", "pool1", f);
      const ownerPayment = readKeyFile(pool1("payment.skey"), KEY_KINDS.paymentSigning);
      const owner = wallet(ownerPayment, readKeyFile(pool1("stake.skey"), KEY_KINDS.stakeSigning));
      const funds = 1_000_000_000_000n; // the genesis owner's (genesis create's default)
      const fee = 400_000n;
      const to = wallet();
      const tx = buildTx(
        {
          inputs: [{ txId: blake2b256(owner.address), index: 0 }],
          outputs: [
            { address: to.address, coin: 5_000_000_000n },
            { address: owner.address, coin: funds - 5_000_000_000n - fee },
          ],
          fee,
        },
        [ownerPayment],
      );
      const id = bytesToHex(tx.body.id);
      const relay = RELAYS[RELAYS.length - 1]!;
      const before = Number(await metric("p1-producer-0", "poolfleet_txs_in_blocks_total"));
      const accepted = await submit(relay, tx.bytes);
      assert.deepEqual(accepted, { status: 202, body: id }, `submitted at ${relay}`);
      // It travels to the producer over node-to-node tx-submission, enters its mempool, and a block the producer
      // forges spends the genesis input.
      await waitFor("the producer's mempool taking the transaction from a relay", async () =>
        (await logsOf("p1-producer-0"))
          .split("\n")
          .some((l) => l.includes("transaction accepted into the mempool") && l.includes(id)),
      );
      await waitFor("the transaction in a block the producer adopted", async () => {
        const n = Number(await metric("p1-producer-0", "poolfleet_txs_in_blocks_total"));
        return n > before && Number(await metric("p1-producer-0", "poolfleet_mempool_txs")) === 0;
      });
      // The producer's ledger has spent the input (a block applied it: the mempool alone would say "duplicate"),
      // and so has every relay's, which adopted that block.
      for (const node of ["p1-producer-0", ...RELAYS]) {
        const again = await waitFor(`${node} refusing the spent input`, async () => {
          const r = await submit(node, tx.bytes);
          return /not in the UTxO/.test(r.body) ? r : undefined;
        });
        assert.equal(again.status, 400, node);
      }
    } catch (e) {
      throw await withPods(e);
    }
  });

  it("brings a deleted producer pod back on its PersistentVolume, forging on from its chain", async () => {
    try {
      const old = (await readPod("p1-producer-0"))!;
      const claim = await core.readNamespacedPersistentVolumeClaim({ name: "data-p1-producer-0", namespace: NS });
      const oldTip = await tipOf("p1-producer-0");
      assert.ok(Number(oldTip.blockNo) >= 1, JSON.stringify(oldTip));
      await core.deleteNamespacedPod({ name: "p1-producer-0", namespace: NS });
      const back = await waitFor("a new p1-producer-0 Running and Ready", async () => {
        const p = await readPod("p1-producer-0");
        return p && p.metadata?.uid !== old.metadata?.uid && runningReady(p) ? p : undefined;
      });
      assert.notEqual(back.metadata?.uid, old.metadata?.uid);
      const claimNow = await core.readNamespacedPersistentVolumeClaim({ name: "data-p1-producer-0", namespace: NS });
      assert.equal(claimNow.metadata?.uid, claim.metadata?.uid, "the same claim");
      assert.equal(claimNow.spec?.volumeName, claim.spec?.volumeName, "on the same PersistentVolume");
      // The node restored its chain from the volume before any peer spoke: the tip it logs at start is at least
      // the one the old pod had (not block 0 of a fresh database).
      const restored = (await logsOf("p1-producer-0"))
        .split("\n")
        .map((l) => (l.includes('"msg":"chain restored"') ? (JSON.parse(l) as { tip: Tip | null }) : undefined))
        .find((l) => l !== undefined);
      assert.ok(restored?.tip, "the new pod logs the chain it restored");
      assert.ok(Number(restored.tip.blockNo) >= Number(oldTip.blockNo), JSON.stringify({ restored, oldTip }));
      // And it forges on: its own blocks (a fresh counter in the new process) on top of the old chain.
      const on = await waitFor("the new producer forging past its old tip", async () => {
        const forged = Number(await metric("p1-producer-0", "poolfleet_blocks_forged_total"));
        const tip = await tipOf("p1-producer-0");
        return forged >= 1 && Number(tip.blockNo) > Number(restored.tip!.blockNo) ? { forged, tip } : undefined;
      });
      const pool = await waitFor("StakePool p1 Forging from the new pod's metrics", async () => {
        const p = await getPool();
        const forging = p.status?.conditions?.find((c) => c.type === "Forging")?.status === "True";
        return forging && (p.status?.tip?.slot ?? 0) > Number(oldTip.slot) ? p : undefined;
      });
      process.stderr.write(
        `producer restart: old tip block ${oldTip.blockNo}, restored ${restored.tip.blockNo}, ` +
          `now ${on.tip.blockNo} with ${on.forged} forged by the new pod; status ${pool.status?.phase} ` +
          `blocksForged ${pool.status?.blocksForged}\n`,
      );
    } catch (e) {
      throw await withPods(e);
    }
  });

  it("enforces the operator's own NetworkPolicies on real connections: the pairs of issue 17's table", async () => {
    // Probe pods: a scraper where spec.metrics.scrapeFrom points, a look-alike (same labels) in another namespace,
    // and a pod of another pool (pool p2's relay labels) in the pool's namespace. The first two serve TCP on 3001
    // and 8080, so the producer's egress has somewhere to be refused.
    const idle = `for (const p of [3001, 8080]) require("node:net").createServer((c) => c.end()).listen(p)`;
    const probePod = async (ns: string, name: string, labels: Record<string, string>) => {
      if (ns !== NS) {
        await core.createNamespace({ body: { metadata: { name: ns } } });
        await waitFor(`the default ServiceAccount in ${ns}`, () =>
          core.readNamespacedServiceAccount({ name: "default", namespace: ns }).then(() => true),
        );
      }
      await core.createNamespacedPod({
        namespace: ns,
        body: {
          metadata: { name, labels },
          spec: { containers: [{ name: "c", image, command: ["node", "-e", idle] }] },
        },
      });
    };
    await probePod("monitoring", "prometheus", { app: "prometheus" });
    await probePod("elsewhere", "stranger", { app: "prometheus" });
    await probePod(NS, "p2-relay-0", {
      "app.kubernetes.io/name": "poolfleet-node",
      "app.kubernetes.io/instance": "p2-relay",
      "app.kubernetes.io/component": "relay",
      "poolfleet.io/pool": "p2",
    });
    const ipOf = (ns: string, name: string) =>
      waitFor(`${ns}/${name} Running`, async () => {
        const p = await core.readNamespacedPod({ name, namespace: ns });
        return p.status?.phase === "Running" && p.status.podIP ? p.status.podIP : undefined;
      });
    const ip = {
      producer: await ipOf(NS, "p1-producer-0"),
      relay: await ipOf(NS, "p1-relay-0"),
      scraper: await ipOf("monitoring", "prometheus"),
      stranger: await ipOf("elsewhere", "stranger"),
      otherPool: await ipOf(NS, "p2-relay-0"),
    };
    const API = "10.0.0.1"; // the kubernetes Service in envtest's range 10.0.0.0/24

    type From = { label: string; ns: string; pod: string; container: string } | { label: string; host: true };
    const from = {
      relay: { label: "relay p1-relay-0", ns: NS, pod: "p1-relay-0", container: "node" },
      producer: { label: "producer p1-producer-0", ns: NS, pod: "p1-producer-0", container: "node" },
      scraper: { label: "scraper monitoring/prometheus", ns: "monitoring", pod: "prometheus", container: "c" },
      stranger: { label: "other namespace (scraper labels)", ns: "elsewhere", pod: "stranger", container: "c" },
      otherPool: { label: "other pool's relay p2-relay-0", ns: NS, pod: "p2-relay-0", container: "c" },
      operator: { label: "operator (host, ipBlock)", host: true },
    } satisfies Record<string, From>;
    const to = {
      producerN2n: [ip.producer, 3001, "producer :3001 node-to-node"],
      producerMetrics: [ip.producer, METRICS_PORT, "producer :12798 metrics"],
      producerApi: [ip.producer, NODE_API_PORT, "producer :12799 api"],
      relayN2n: [ip.relay, 3001, "relay :3001 node-to-node"],
      relayMetrics: [ip.relay, METRICS_PORT, "relay :12798 metrics"],
      relayService: ["p1-relay-0.pool.svc.cluster.local", 3001, "relay's Service by name :3001"],
      stranger: [ip.stranger, 3001, "other-namespace pod :3001"],
      scraper: [ip.scraper, 8080, "scraper pod :8080"],
      api: [API, 443, "kubernetes Service :443 (API server)"],
    } as const satisfies Record<string, readonly [string, number, string]>;
    const tcp = (f: From, t: readonly [string, number, string], expect: ProbeRow["expect"]): ProbeRow => ({
      from: f.label,
      to: t[2],
      expect,
      probe: () =>
        "host" in f
          ? hostProbe(t[0], t[1])
          : execIn(rc.kc, f.ns, f.pod, f.container, ["node", "-e", tcpProbeScript(t[0], t[1])]),
    });
    const rows: ProbeRow[] = [
      // The producer's ingress: node-to-node only from its own relays; metrics from the scrape source and the
      // operator; the API from the operator (and its relays).
      tcp(from.relay, to.producerN2n, "allow"),
      tcp(from.stranger, to.producerN2n, "deny"),
      tcp(from.otherPool, to.producerN2n, "deny"),
      tcp(from.scraper, to.producerN2n, "deny"),
      tcp(from.operator, to.producerN2n, "deny"),
      tcp(from.scraper, to.producerMetrics, "allow"),
      tcp(from.operator, to.producerMetrics, "allow"),
      tcp(from.stranger, to.producerMetrics, "deny"),
      tcp(from.otherPool, to.producerMetrics, "deny"),
      tcp(from.relay, to.producerMetrics, "deny"),
      tcp(from.operator, to.producerApi, "allow"),
      tcp(from.relay, to.producerApi, "allow"),
      tcp(from.scraper, to.producerApi, "deny"),
      tcp(from.stranger, to.producerApi, "deny"),
      // Relays: node-to-node from anywhere; metrics only from the scrape source and the operator.
      tcp(from.stranger, to.relayN2n, "allow"),
      tcp(from.otherPool, to.relayN2n, "allow"),
      tcp(from.scraper, to.relayN2n, "allow"),
      tcp(from.operator, to.relayN2n, "allow"),
      tcp(from.scraper, to.relayMetrics, "allow"),
      tcp(from.stranger, to.relayMetrics, "deny"),
      tcp(from.otherPool, to.relayMetrics, "deny"),
      // The producer's egress: its own relays (by address, and by Service name through cluster DNS), nothing else.
      tcp(from.producer, to.relayN2n, "allow"),
      {
        from: from.producer.label,
        to: "cluster DNS (p1-relay-0's Service name)",
        expect: "allow",
        probe: () =>
          execIn(rc.kc, NS, "p1-producer-0", "node", [
            "node",
            "-e",
            dnsProbeScript("p1-relay-0.pool.svc.cluster.local"),
          ]),
      },
      tcp(from.producer, to.relayService, "allow"),
      tcp(from.producer, to.relayMetrics, "deny"),
      tcp(from.relay, to.stranger, "allow"),
      tcp(from.producer, to.stranger, "deny"),
      tcp(from.stranger, to.scraper, "allow"),
      tcp(from.producer, to.scraper, "deny"),
      tcp(from.relay, to.api, "allow"),
      tcp(from.producer, to.api, "deny"),
    ];
    // A denial means something only where the same port answers someone else: every denied destination has an
    // allowed row, so "refused" is the policy, not a closed port.
    for (const r of rows.filter((x) => x.expect === "deny")) {
      assert.ok(
        rows.some((x) => x.expect === "allow" && x.to === r.to),
        `no allowed row shows ${r.to} answering`,
      );
    }
    const results = await probeTable(rows);
    const table = formatTable(results);
    process.stderr.write(`the operator's NetworkPolicies, enforced by kube-router:\n${table}\n`);
    const wrong = results.filter((r) => !asExpected(r));
    assert.equal(wrong.length, 0, `pairs not as the policies say:\n${table}`);
  });
});
