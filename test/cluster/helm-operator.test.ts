// What a user runs, on the real cluster: `helm install` of charts/poolfleet (the operator itself as a pod of the
// node image, in-cluster credentials through the kubernetes Service), then examples/devnet-fleet applied as its
// README says (two devnet pools, each a producer behind a relay). The operator in its pod reads each producer's
// /metrics through the producer's NetworkPolicy (its own pods are the policy's operator peer) and the pools turn
// Forging with blocks forged.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import {
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  type KubernetesObject,
  KubernetesObjectApi,
  loadAllYaml,
} from "@kubernetes/client-node";
import { GROUP, VERSION } from "../../src/api/common.ts";
import type { StakePoolStatus } from "../../src/api/stakepool.ts";
import { runCli } from "../helpers/cli.ts";
import { containerTier } from "../helpers/docker.ts";
import { configMapFromDir, secretFromFiles } from "../helpers/from-file.ts";
import { CHART_DIR, helm, helmBinary } from "../helpers/helm.ts";
import { type RealCluster, startRealCluster, realClusterSkip } from "../helpers/real-cluster.ts";
import { waitWithin } from "../helpers/wait.ts";

const waitFor = waitWithin(240_000);
const EXAMPLE = fileURLToPath(new URL("../../examples/devnet-fleet", import.meta.url));
const NS = "devnet";
const OPERATOR_NS = "poolfleet-system";
type Pool = KubernetesObject & { status?: StakePoolStatus };

describe(
  "helm install and the devnet-fleet example on a real cluster",
  {
    timeout: 20 * 60_000,
    skip: realClusterSkip(),
  },
  () => {
    let rc: RealCluster;
    let core: CoreV1Api;
    let dir: string;
    let kubeconfig: string;
    let helmBin: string;

    before(async () => {
      const tier = await containerTier();
      if (!("image" in tier)) throw new Error(`the real-cluster tier needs the node image: ${tier.skip}`);
      helmBin = await helmBinary();
      rc = await startRealCluster({ images: [tier.image] });
      core = rc.kc.makeApiClient(CoreV1Api);
      dir = mkdtempSync(join(tmpdir(), "pf-rc-helm-"));
      kubeconfig = join(dir, "kubeconfig");
      writeFileSync(kubeconfig, rc.kc.exportConfig(), { mode: 0o600 });
    });

    after(async () => {
      await rc?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it("runs the operator as a pod, which brings the example's pools to Forging", async () => {
      const describeAll = async () => {
        const out: string[] = [];
        for (const ns of [OPERATOR_NS, NS]) {
          const pods = await core.listNamespacedPod({ namespace: ns }).catch(() => ({ items: [] }));
          for (const p of pods.items) {
            const logs = await core.readNamespacedPodLog({ name: p.metadata!.name!, namespace: ns }).catch(() => "");
            out.push(
              `${ns}/${p.metadata?.name} ${p.status?.phase} ${JSON.stringify(p.status?.containerStatuses?.[0]?.state ?? p.status?.conditions)}\n${logs.slice(-1500)}`,
            );
          }
        }
        return out.join("\n");
      };
      try {
        const installed = await helm(helmBin, [
          "install",
          "poolfleet",
          CHART_DIR,
          "--namespace",
          OPERATOR_NS,
          "--create-namespace",
          "--kubeconfig",
          kubeconfig,
          "--wait",
          "--timeout",
          "180s",
        ]);
        assert.equal(installed.code, 0, `${installed.stdout}\n${installed.stderr}`);
        const deployments = await rc.kc.makeApiClient(AppsV1Api).listNamespacedDeployment({ namespace: OPERATOR_NS });
        assert.equal(deployments.items.length, 1);
        assert.equal(deployments.items[0]!.status?.readyReplicas, 1);
        // A real pod of the node image on the node, not a process of this test (nothing else here runs a controller).
        const operatorPods = await core.listNamespacedPod({ namespace: OPERATOR_NS });
        assert.equal(operatorPods.items.length, 1);
        const operatorPod = operatorPods.items[0]!;
        assert.equal(operatorPod.spec?.nodeName, rc.nodeName);
        assert.equal(operatorPod.status?.phase, "Running");
        assert.deepEqual(operatorPod.spec?.containers[0]?.command, ["poolfleet-operator"]);

        // The example, as its README says.
        const made = await runCli(["genesis", "create", "--pools", "2", "--out-dir", join(dir, "devnet-files")]);
        assert.equal(made.code, 0, made.stderr);
        const apply = async (file: string) => {
          const api = KubernetesObjectApi.makeApiClient(rc.kc);
          const objects = loadAllYaml(readFileSync(join(EXAMPLE, file), "utf8")) as (KubernetesObject & {
            spec?: Record<string, unknown>;
          })[];
          for (const o of objects) {
            // The one change to the example: four node pods at the custom network's default 500m CPU request
            // each, plus the operator's 100m, do not fit this 2-core node (the last one stays Pending,
            // Insufficient cpu); 200m each leaves room.
            if (o.kind === "StakePool" || o.kind === "Relay") o.spec!.resources = { requests: { cpu: "200m" } };
            await api.create(o);
          }
        };
        await apply("00-namespace.yaml");
        await core.createNamespacedConfigMap({
          namespace: NS,
          body: configMapFromDir(NS, "devnet-network", join(dir, "devnet-files")),
        });
        for (const p of ["pool1", "pool2"]) {
          const f = (x: string) => join(dir, "devnet-files", "pools", p, x);
          await core.createNamespacedSecret({
            namespace: NS,
            body: secretFromFiles(NS, `${p}-keys`, [f("kes.skey"), f("vrf.skey"), f("node.cert")]),
          });
        }
        await apply("01-pools.yaml");
        await apply("02-relays.yaml");
        const custom = rc.kc.makeApiClient(CustomObjectsApi);
        for (const name of ["pool1", "pool2"]) {
          const pool = await waitFor(`StakePool ${name} Forging, with a block forged`, async () => {
            const p = (await custom.getNamespacedCustomObject({
              group: GROUP,
              version: VERSION,
              namespace: NS,
              plural: "stakepools",
              name,
            })) as Pool;
            return p.status?.phase === "Forging" && (p.status.blocksForged ?? 0) >= 1 ? p : undefined;
          });
          assert.equal(pool.status?.conditions?.find((c) => c.type === "Ready")?.status, "True");
          process.stderr.write(
            `${name}: ${pool.status?.phase}, ${pool.status?.blocksForged} forged, tip ${JSON.stringify(pool.status?.tip)}\n`,
          );
        }
      } catch (e) {
        throw new Error(`${e instanceof Error ? e.message : String(e)}\n${await describeAll()}`, { cause: e });
      }
    });
  },
);
