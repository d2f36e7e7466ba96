// The KES staging Job's real pod template in the real node image: the container tier runs the Job the operator
// builds (stageJob) with Docker against the envtest API server (--network host; it listens on 127.0.0.1), with a
// token the API server issued for the Job's ServiceAccount mounted at /var/run/secrets/kubernetes.io/serviceaccount,
// as a kubelet would (test/helpers/job-standin.ts, runner "docker"). So the image's poolfleet-cli, its in-cluster
// configuration, the read-only root and non-root uid of the pod template, and the ServiceAccount's RBAC are the
// real ones. The staged Secret must appear, be immutable, and survive a second run untouched.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { BatchV1Api, CoreV1Api, CustomObjectsApi, RbacAuthorizationV1Api, type V1Job } from "@kubernetes/client-node";
import { API_VERSION, GROUP, VERSION } from "../../src/api/common.ts";
import { parseEnvelope } from "../../src/formats/envelope.ts";
import { KEY_KINDS, keyFromEnvelope } from "../../src/formats/keys.ts";
import {
  DEFAULT_KES_JOB_CLUSTERROLE,
  KES_JOB_RULES,
  kesJobRoleBinding,
  kesJobServiceAccount,
  stageJob,
} from "../../src/operator/kesrotation/build-jobs.ts";
import type { Owner } from "../../src/operator/names.ts";
import { containerTier } from "../helpers/docker.ts";
import { type ControlPlane, installProjectCrds, startControlPlane } from "../helpers/envtest.ts";
import { type JobStandIn, startJobStandIn } from "../helpers/job-standin.ts";

const tier = await containerTier();
const NS = "kes-image";

describe("the KES staging Job in the node image", { skip: "skip" in tier && tier.skip }, () => {
  let cp: ControlPlane;
  let standIn: JobStandIn;
  let core: CoreV1Api;
  let batch: BatchV1Api;
  let owner: Owner;
  let job: V1Job;

  const waitFor = async <T>(what: string, fn: () => Promise<T | undefined>, ms = 120_000): Promise<T> => {
    const deadline = Date.now() + ms;
    for (;;) {
      const v = await fn().catch(() => undefined);
      if (v !== undefined) return v;
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${what}\n${standIn.runs.map((r) => r.log).join("\n")}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  const finished = (name: string) =>
    waitFor(`Job ${name} to finish`, async () => {
      const j = await batch.readNamespacedJob({ namespace: NS, name });
      return j.status?.conditions?.find((c) => c.status === "True" && (c.type === "Complete" || c.type === "Failed"))
        ?.type;
    });

  before(
    async () => {
      if (!("image" in tier)) return;
      cp = await startControlPlane();
      core = cp.kc.makeApiClient(CoreV1Api);
      batch = cp.kc.makeApiClient(BatchV1Api);
      await installProjectCrds(cp.kc);
      await core.createNamespace({ body: { metadata: { name: NS } } });
      await cp.kc.makeApiClient(RbacAuthorizationV1Api).createClusterRole({
        body: { metadata: { name: DEFAULT_KES_JOB_CLUSTERROLE }, rules: KES_JOB_RULES },
      });
      // The owner the operator would have: a KesRotation (no operator runs here; the Job is made as it makes it).
      const rot = (await cp.kc.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: NS,
        plural: "kesrotations",
        body: {
          apiVersion: API_VERSION,
          kind: "KesRotation",
          metadata: { name: "p1-kes" },
          spec: { poolRef: { name: "p1" } },
        },
      })) as { metadata: { uid: string } };
      owner = { apiVersion: API_VERSION, kind: "KesRotation", name: "p1-kes", namespace: NS, uid: rot.metadata.uid };
      const rbac = cp.kc.makeApiClient(RbacAuthorizationV1Api);
      await core.createNamespacedServiceAccount({ namespace: NS, body: kesJobServiceAccount(owner, "p1") });
      await rbac.createNamespacedRoleBinding({
        namespace: NS,
        body: kesJobRoleBinding(owner, "p1", DEFAULT_KES_JOB_CLUSTERROLE),
      });
      const [repository, tag] = tier.image.split(":") as [string, string];
      job = stageJob({ owner, pool: "p1", spec: { image: { repository, tag, pullPolicy: "Never" } }, counter: 7 });
      standIn = startJobStandIn(cp.kc, { runner: { docker: tier.image }, namespaces: [NS] });
    },
    { timeout: 20 * 60_000 },
  );
  after(async () => {
    await standIn?.stop();
    await cp?.stop();
  });

  test("the Job's pod makes the immutable staged Secret with the Job's own token", async () => {
    await batch.createNamespacedJob({ namespace: NS, body: job });
    assert.equal(await finished("p1-kes-stage-7"), "Complete", standIn.runs.map((r) => r.log).join("\n"));
    const secret = await core.readNamespacedSecret({ namespace: NS, name: "p1-kes-staged-7" });
    assert.equal(secret.immutable, true);
    assert.equal(secret.metadata!.ownerReferences![0]!.uid, owner.uid);
    const vkey = Buffer.from(secret.data!["kes.vkey"]!, "base64").toString("utf8");
    assert.equal(keyFromEnvelope(parseEnvelope(vkey, "kes.vkey"), "kes.vkey", KEY_KINDS.kesVerification).length, 32);
    const skey = Buffer.from(secret.data!["kes.skey"]!, "base64").toString("utf8");
    assert.equal(JSON.parse(skey).type, KEY_KINDS.kesSigning.type);
    assert.match(standIn.runs[0]!.log, /created Secret kes-image\/p1-kes-staged-7 \(new KES key [0-9a-f]{56}\)/);
    assert.ok(!standIn.runs[0]!.log.includes(JSON.parse(skey).cborHex), "the log holds no key bytes");
  });

  test("run again (the Job deleted and recreated, as after a lost record), it keeps the Secret: no second key", async () => {
    const before = await core.readNamespacedSecret({ namespace: NS, name: "p1-kes-staged-7" });
    await batch.deleteNamespacedJob({ namespace: NS, name: "p1-kes-stage-7", propagationPolicy: "Background" });
    await waitFor("the Job gone", async () =>
      (await batch.readNamespacedJob({ namespace: NS, name: "p1-kes-stage-7" }).then(
        () => false,
        () => true,
      ))
        ? true
        : undefined,
    );
    await batch.createNamespacedJob({ namespace: NS, body: job });
    assert.equal(await finished("p1-kes-stage-7"), "Complete");
    assert.equal(standIn.runs.length, 2);
    assert.match(standIn.runs[1]!.log, /already exists: kept it, no second key was made/);
    const afterwards = await core.readNamespacedSecret({ namespace: NS, name: "p1-kes-staged-7" });
    assert.equal(afterwards.metadata!.uid, before.metadata!.uid);
    assert.deepEqual(afterwards.data, before.data);
  });
});
