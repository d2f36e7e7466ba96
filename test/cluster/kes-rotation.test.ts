// A KES rotation in Auto mode on the real cluster: the operator (its Manager in the test process, with the
// StakePool, Relay and KesRotation controllers) runs a devnet pool whose producer is a real pod of the node image,
// and its rotation's Jobs run as real pods of that image — the staging Job generates the KES key and the signing
// Job signs the certificate with the opted-in cold key, both writing their Secrets through the API server with
// their ServiceAccount's projected token (in-cluster, through the kubernetes Service). The StatefulSet rolls the
// producer onto the new key revision, and it forges with the new certificate: its issue number one higher, on
// chain. 5-second KES periods (0.2 s slots, 25 per period) make the rotation due within seconds.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  type KubernetesObject,
  RbacAuthorizationV1Api,
  type V1Pod,
  Watch,
} from "@kubernetes/client-node";
import { GROUP, VERSION } from "../../src/api/common.ts";
import type { KesRotationStatus } from "../../src/api/kesrotation.ts";
import { DEFAULT_KES_JOB_CLUSTERROLE, KES_JOB_RULES } from "../../src/operator/kesrotation/build-jobs.ts";
import { kesRotationController } from "../../src/operator/kesrotation/controller.ts";
import { relayController } from "../../src/operator/controllers/relay.ts";
import { stakePoolController } from "../../src/operator/controllers/stakepool.ts";
import { operatorLogger } from "../../src/operator/main.ts";
import { Manager } from "../../src/operator/manager/manager.ts";
import { ManagerMetrics } from "../../src/operator/manager/metrics.ts";
import { SecretRedactor } from "../../src/operator/manager/redact.ts";
import { nodeFigures } from "../../src/operator/node-client/node-metrics.ts";
import { createDevnet } from "../helpers/cli.ts";
import { containerTier } from "../helpers/docker.ts";
import { installProjectCrds } from "../helpers/envtest.ts";
import { configMapFromDir, secretFromFiles } from "../helpers/from-file.ts";
import { type RealCluster, startRealCluster, realClusterSkip } from "../helpers/real-cluster.ts";
import { waitWithin } from "../helpers/wait.ts";

const waitFor = waitWithin(180_000);
const NS = "kes";
const METRICS_PORT = 12798;
type Rot = KubernetesObject & { status?: KesRotationStatus };

describe("a KES rotation in Auto mode on a real cluster", { timeout: 20 * 60_000, skip: realClusterSkip() }, () => {
  let rc: RealCluster;
  let core: CoreV1Api;
  let custom: CustomObjectsApi;
  let manager: Manager;
  let dir: string;
  let stopWatch = () => {};

  const getRotation = () =>
    custom.getNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: NS,
      plural: "kesrotations",
      name: "p1-kes",
    }) as Promise<Rot>;
  const logsOf = (name: string) => core.readNamespacedPodLog({ name, namespace: NS }).catch(() => "");
  const producerFigures = async () => {
    const p = await core.readNamespacedPod({ name: "p1-producer-0", namespace: NS });
    if (!p.status?.podIP) throw new Error("no producer address");
    const res = await fetch(`http://${p.status.podIP}:${METRICS_PORT}/metrics`, { signal: AbortSignal.timeout(3000) });
    return { pod: p, figures: nodeFigures(await res.text()) };
  };

  before(async () => {
    const tier = await containerTier();
    if (!("image" in tier)) throw new Error(`the real-cluster tier needs the node image: ${tier.skip}`);
    rc = await startRealCluster({ images: [tier.image] });
    core = rc.kc.makeApiClient(CoreV1Api);
    custom = rc.kc.makeApiClient(CustomObjectsApi);
    await installProjectCrds(rc.kc);
    // The ClusterRole the chart ships for the Jobs' ServiceAccount (test/chart/rbac.test.ts keeps them equal).
    await rc.kc.makeApiClient(RbacAuthorizationV1Api).createClusterRole({
      body: { metadata: { name: DEFAULT_KES_JOB_CLUSTERROLE }, rules: KES_JOB_RULES },
    });
    dir = mkdtempSync(join(tmpdir(), "pf-rc-kes-"));
    await createDevnet(join(dir, "devnet"), { slotLength: "0.2", activeSlotCoeff: "0.5", slotsPerKesPeriod: 25 });
    const redactor = new SecretRedactor();
    const metrics = new ManagerMetrics();
    const operatorPeer = { ipBlock: { cidr: `${rc.net.hostIp}/32` } };
    manager = new Manager({
      kc: rc.kc,
      controllers: [
        stakePoolController({ pollMs: 500, operatorPeer }),
        relayController({ operatorPeer }),
        kesRotationController({ pollMs: 500, registry: metrics.registry }),
      ],
      log: operatorLogger(process.env.POOLFLEET_TEST_LOG ?? "silent", redactor),
      redactor,
      metrics,
      queue: { backoffBaseMs: 50, backoffMaxMs: 1000 },
    });
    await manager.start();
  });

  after(async () => {
    stopWatch();
    await manager?.stop();
    await rc?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("runs the staging and signing Jobs as real pods, and the producer forges on with the next certificate", async () => {
    const pool = (f: string) => join(dir, "devnet", "pools", "pool1", f);
    await core.createNamespace({ body: { metadata: { name: NS } } });
    await core.createNamespacedConfigMap({
      namespace: NS,
      body: configMapFromDir(NS, "devnet-network", join(dir, "devnet")),
    });
    await core.createNamespacedConfigMap({
      namespace: NS,
      body: { metadata: { name: "p1-cold" }, data: { "cold.vkey": readFileSync(pool("cold.vkey"), "utf8") } },
    });
    await core.createNamespacedSecret({
      namespace: NS,
      body: secretFromFiles(NS, "p1-keys", ["kes.skey", "vrf.skey", "node.cert"].map(pool)),
    });
    await core.createNamespacedSecret({
      namespace: NS,
      body: secretFromFiles(NS, "p1-cold-skey", [pool("cold.skey")]),
    });
    const create = (plural: string, kind: string, name: string, spec: Record<string, unknown>) =>
      custom.createNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: NS,
        plural,
        body: { apiVersion: `${GROUP}/${VERSION}`, kind, metadata: { name, namespace: NS }, spec },
      });
    await create("stakepools", "StakePool", "p1", {
      network: { name: "custom", configMapRef: { name: "devnet-network" } },
      keys: { secretRef: { name: "p1-keys" }, coldVerificationKeyRef: { name: "p1-cold" } },
      relays: { replicas: 1 },
    });
    const describeAll = async () => {
      const pods = await core.listNamespacedPod({ namespace: NS });
      const lines = await Promise.all(
        pods.items.map(
          async (p) =>
            `${p.metadata?.name} ${p.status?.phase} ${JSON.stringify(p.status?.containerStatuses?.[0]?.state)}\n` +
            (await logsOf(p.metadata!.name!)).slice(-1500),
        ),
      );
      return `${lines.join("\n")}\nrotation: ${JSON.stringify((await getRotation().catch(() => undefined))?.status)}`;
    };
    try {
      const first = await waitFor("the producer forging with issue number 0", async () => {
        const { pod, figures } = await producerFigures();
        return figures.forgingEnabled === 1 && (figures.blocksForged ?? 0) >= 1 ? { pod, figures } : undefined;
      });
      assert.equal(first.figures.opcertCounter, 0);
      // The Jobs' pods, as the API server saw them (the operator deletes a Job once it has read its result, and
      // its pod with it): every phase each one reached, and the node it ran on.
      const jobPods = new Map<string, { job: string; phases: Set<string>; node?: string }>();
      const watching = await new Watch(rc.kc).watch(
        `/api/v1/namespaces/${NS}/pods`,
        { labelSelector: "batch.kubernetes.io/job-name" },
        (_type: string, pod: V1Pod) => {
          const name = pod.metadata!.name!;
          const seen = jobPods.get(name) ?? {
            job: pod.metadata!.labels!["batch.kubernetes.io/job-name"]!,
            phases: new Set<string>(),
          };
          if (pod.status?.phase) seen.phases.add(pod.status.phase);
          if (pod.spec?.nodeName) seen.node = pod.spec.nodeName;
          jobPods.set(name, seen);
        },
        () => undefined,
      );
      stopWatch = () => watching.abort();
      await create("kesrotations", "KesRotation", "p1-kes", {
        poolRef: { name: "p1" },
        mode: "Auto",
        auto: { coldKeySecretRef: { name: "p1-cold-skey" }, acknowledgeColdKeyInCluster: true },
        renewBefore: 61, // KES periods: due one period (5 s) after the certificate's start
        leaderSlotMarginMinutes: 0, // this producer leads a slot every second or so
      });
      const done = await waitFor("the rotation complete, confirmed by the producer forging with it", async () => {
        const r = await getRotation();
        return r.status?.lastRotation?.counter === 1 ? r : undefined;
      });
      assert.equal(done.status!.lastRotation!.forgingConfirmed, true);
      // The first rotation's Jobs ran as pods on the node, to completion. (With 5-second periods the next
      // rotation is due at once and may be running already: its Jobs are not looked at.)
      const ran = [...jobPods.values()].filter((p) => /-1$/.test(p.job));
      const summary = JSON.stringify([...jobPods].map(([n, p]) => [n, p.job, [...p.phases], p.node]));
      for (const job of ["p1-kes-stage-1", "p1-kes-sign-1"]) {
        const pod = ran.find((p) => p.job === job && p.phases.has("Succeeded"));
        assert.ok(pod, `a pod of Job ${job} succeeded: ${summary}`);
        assert.equal(pod.node, rc.nodeName);
      }
      // The producer was rolled onto the new revision: another pod, its keys volume the revision Secret, forging
      // with issue number 1, and the chain carries 1 (a block it forged with the new certificate).
      const sts = await rc.kc
        .makeApiClient(AppsV1Api)
        .readNamespacedStatefulSet({ namespace: NS, name: "p1-producer" });
      const revision = sts.spec!.template.spec!.volumes!.find((v) => v.name === "keys")!.secret!.secretName!;
      assert.notEqual(revision, "p1-keys");
      // Issue number 1 or, if the next rotation has already landed, 2: never the old 0, and on chain.
      const after = await waitFor("a new producer pod forging with the next issue number, on chain", async () => {
        const { pod, figures } = await producerFigures();
        return pod.metadata?.uid !== first.pod.metadata?.uid &&
          (figures.opcertCounter ?? 0) >= 1 &&
          (figures.chainOpcertCounter ?? 0) >= 1 &&
          pod.spec!.volumes!.find((v) => v.name === "keys")!.secret!.secretName !== "p1-keys"
          ? { pod, figures }
          : undefined;
      });
      assert.equal(after.figures.forgingEnabled, 1);
      process.stderr.write(
        `KES rotation: Job pods ${summary}; producer on ${revision}, ` +
          `opcert counter ${after.figures.opcertCounter} (on chain ${after.figures.chainOpcertCounter}), ` +
          `${after.figures.blocksForged} forged since its restart\n`,
      );
    } catch (e) {
      // A new error: an AssertionError's stack (what the reporter prints) keeps the message it was made with.
      throw new Error(`${e instanceof Error ? e.message : String(e)}\n${await describeAll()}`, { cause: e });
    }
  });
});
