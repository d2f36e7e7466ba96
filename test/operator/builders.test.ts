// The producer builders: pure functions of a StakePool's spec. Checked in memory (exact rules, paths, modes),
// then on the real API server with a server-side dry run, which runs Kubernetes' own validation and defaulting.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { AppsV1Api, CoreV1Api, PolicyV1Api } from "@kubernetes/client-node";
import { stakePoolSpec, type StakePoolSpecInput } from "../../src/api/stakepool.ts";
import { buildProducerNetworkPolicy, DNS_PEER } from "../../src/operator/builders/network-policy.ts";
import { buildProducer, KEY_FILES, producerArgs } from "../../src/operator/builders/producer.ts";
import { keyRevisionName } from "../../src/operator/keys/revision.ts";
import { toWire } from "../../src/operator/manager/apply.ts";
import { KubeClient } from "../../src/kube/client.ts";
import type { Owner } from "../../src/operator/names.ts";
import { type ControlPlane, startControlPlane } from "../helpers/envtest.ts";

const owner: Owner = {
  apiVersion: "poolfleet.io/v1alpha1",
  kind: "StakePool",
  name: "pool-a",
  namespace: "default",
  uid: "6c1b7f0e-3c57-4d0b-9b7a-1f6c9f0e2a11",
};

const spec = (input: Partial<StakePoolSpecInput> = {}) =>
  stakePoolSpec.parse({ network: { name: "preprod" }, keys: { secretRef: { name: "pool-a-keys" } }, ...input });

/** The gated key revision the producer mounts (never the user's Secret, pool-a-keys). */
const REVISION = "pool-a-keys-0123abcd";

const scraped = spec({
  metrics: { scrapeFrom: { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } } } },
});

describe("producer StatefulSet", () => {
  test("one replica, the node image and cardano-node's flags with in-pod paths", () => {
    const { statefulSet } = buildProducer({ owner, keysSecretName: REVISION, spec: spec() });
    assert.equal(statefulSet.metadata?.name, "pool-a-producer");
    assert.equal(statefulSet.spec?.replicas, 1);
    const c = statefulSet.spec!.template.spec!.containers[0]!;
    assert.equal(c.image, "poolfleet/poolfleet-node:0.1.0");
    assert.deepEqual(c.args, producerArgs(spec()));
    const flag = (f: string) => c.args![c.args!.indexOf(f) + 1];
    assert.equal(flag("--config"), "/opt/poolfleet/networks/preprod/config.json");
    assert.equal(flag("--shelley-kes-key"), "/keys/kes.skey");
    assert.equal(flag("--shelley-operational-certificate"), "/keys/node.cert");
    assert.equal(flag("--port"), "3001");
    assert.equal(flag("--metrics-port"), "12798");
  });

  test("keys mounted read-only from the gated key revision (not the user's Secret), files 0400, nothing else", () => {
    const { statefulSet } = buildProducer({ owner, keysSecretName: REVISION, spec: spec() });
    const pod = statefulSet.spec!.template.spec!;
    const keys = pod.volumes!.find((v) => v.name === "keys")!;
    assert.equal(keys.secret?.secretName, REVISION);
    assert.ok(!JSON.stringify(statefulSet).includes('"pool-a-keys"'), "the user's Secret is never referenced");
    assert.equal(keys.secret?.defaultMode, 0o400);
    assert.deepEqual(
      keys.secret?.items?.map((i) => i.key),
      Object.values(KEY_FILES),
    );
    const mount = pod.containers[0]!.volumeMounts!.find((m) => m.name === "keys")!;
    assert.equal(mount.readOnly, true);
    assert.equal(pod.automountServiceAccountToken, false);
  });

  test("non-root, read-only root filesystem, no capabilities", () => {
    const pod = buildProducer({ owner, keysSecretName: REVISION, spec: spec() }).statefulSet.spec!.template.spec!;
    assert.equal(pod.securityContext?.runAsNonRoot, true);
    assert.ok((pod.securityContext?.runAsUser ?? 0) > 0);
    const sc = pod.containers[0]!.securityContext!;
    assert.equal(sc.readOnlyRootFilesystem, true);
    assert.equal(sc.allowPrivilegeEscalation, false);
    assert.deepEqual(sc.capabilities?.drop, ["ALL"]);
  });

  test("resources and storage: the spec's, else the network's defaults", () => {
    const dflt = buildProducer({ owner, keysSecretName: REVISION, spec: spec() }).statefulSet.spec!;
    assert.deepEqual(dflt.template.spec!.containers[0]!.resources, {
      requests: { cpu: "1", memory: "6Gi" },
      limits: { memory: "8Gi" },
    });
    assert.equal(dflt.volumeClaimTemplates![0]!.spec!.resources!.requests!.storage, "80Gi");
    const mine = buildProducer({
      owner,
      keysSecretName: REVISION,
      spec: spec({
        resources: { requests: { cpu: 2, memory: "10Gi" } },
        storage: { size: "123Gi", storageClassName: "fast" },
      }),
    }).statefulSet.spec!;
    assert.deepEqual(mine.template.spec!.containers[0]!.resources, {
      requests: { cpu: "2", memory: "10Gi" },
      limits: {},
    });
    assert.equal(mine.volumeClaimTemplates![0]!.spec!.storageClassName, "fast");
    assert.equal(mine.volumeClaimTemplates![0]!.spec!.resources!.requests!.storage, "123Gi");
  });

  test("a custom network mounts its ConfigMap and points --config at it", () => {
    const custom = spec({ network: { name: "custom", configMapRef: { name: "devnet-files" } } });
    const pod = buildProducer({ owner, keysSecretName: REVISION, spec: custom }).statefulSet.spec!.template.spec!;
    assert.equal(pod.volumes!.find((v) => v.name === "network")?.configMap?.name, "devnet-files");
    const args = pod.containers[0]!.args!;
    assert.equal(args[args.indexOf("--config") + 1], "/etc/poolfleet/network/config.json");
  });

  test("the pod rolls on a new key revision, and only then", () => {
    const at = (hash: string) =>
      buildProducer({ owner, spec: spec(), keysSecretName: keyRevisionName("pool-a", hash), keysHash: hash })
        .statefulSet;
    const a = at("a".repeat(64));
    const b = at("a".repeat(64));
    const c = at("b".repeat(64));
    assert.deepEqual(a, b);
    assert.notDeepEqual(a.spec!.template, c.spec!.template);
    assert.equal(c.spec!.template.metadata!.annotations!["poolfleet.io/keys-hash"], "b".repeat(64));
    assert.equal(
      c.spec!.template.spec!.volumes!.find((v) => v.name === "keys")!.secret!.secretName,
      "pool-a-keys-bbbbbbbb",
    );
  });
});

describe("producer NetworkPolicy", () => {
  test("exact rules: relays both ways on the node ports, the API to relays only, DNS out, metrics from the scrape source", () => {
    const np = buildProducerNetworkPolicy({ owner, spec: scraped, relayPort: 3001 });
    const relays = { podSelector: { matchLabels: buildRelaySelector("pool-a-relay") } };
    assert.deepEqual(np.spec, {
      podSelector: {
        matchLabels: buildProducer({ owner, keysSecretName: REVISION, spec: scraped }).statefulSet.spec!.selector
          .matchLabels,
      },
      policyTypes: ["Ingress", "Egress"],
      ingress: [
        { from: [relays], ports: [{ protocol: "TCP", port: 3001 }] },
        { from: [relays], ports: [{ protocol: "TCP", port: 12799 }] },
        {
          from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } } }],
          ports: [{ protocol: "TCP", port: 12798 }],
        },
      ],
      egress: [
        { to: [relays], ports: [{ protocol: "TCP", port: 3001 }] },
        {
          to: [DNS_PEER],
          ports: [
            { protocol: "UDP", port: 53 },
            { protocol: "TCP", port: 53 },
          ],
        },
      ],
    });
  });

  test("no scrape source: no metrics ingress at all (node-to-node and API from the relays); an existing Relay is selected by its name", () => {
    const np = buildProducerNetworkPolicy({
      owner,
      spec: spec({ relays: { relayRef: { name: "shared-relays" } } }),
      relayPort: 6000,
    });
    assert.equal(np.spec!.ingress!.length, 2);
    assert.deepEqual(
      np.spec!.ingress!.map((r) => r.ports),
      [[{ protocol: "TCP", port: 3001 }], [{ protocol: "TCP", port: 12799 }]],
    );
    assert.equal(
      np.spec!.ingress![0]!.from![0]!.podSelector!.matchLabels!["app.kubernetes.io/instance"],
      "shared-relays",
    );
    assert.deepEqual(np.spec!.egress![0]!.ports, [{ protocol: "TCP", port: 6000 }]);
  });

  test("the operator gets the API port (leader schedule), and the metrics port when it reads /metrics for status", () => {
    const operatorPeer = {
      namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "poolfleet-system" } },
      podSelector: { matchLabels: { "app.kubernetes.io/name": "poolfleet-operator" } },
    };
    const np = buildProducerNetworkPolicy({ owner, spec: spec(), relayPort: 3001, operatorPeer });
    const relays = { podSelector: { matchLabels: buildRelaySelector("pool-a-relay") } };
    assert.deepEqual(np.spec!.ingress!.slice(1), [
      { from: [relays, operatorPeer], ports: [{ protocol: "TCP", port: 12799 }] },
      { from: [operatorPeer], ports: [{ protocol: "TCP", port: 12798 }] },
    ]);
    assert.equal(np.spec!.egress!.length, 2);
    const noScrape = buildProducerNetworkPolicy({
      owner,
      spec: spec(),
      relayPort: 3001,
      operatorPeer,
      operatorScrapes: false,
    });
    assert.deepEqual(noScrape.spec!.ingress!.slice(1), [
      { from: [relays, operatorPeer], ports: [{ protocol: "TCP", port: 12799 }] },
    ]);
  });
});

function buildRelaySelector(relay: string) {
  return {
    "app.kubernetes.io/name": "poolfleet-node",
    "app.kubernetes.io/instance": relay,
    "app.kubernetes.io/component": "relay",
  };
}

describe("the API server accepts what the builders make (server-side dry run)", () => {
  let cp: ControlPlane;
  before(
    async () => {
      cp = await startControlPlane();
    },
    { timeout: 55 * 60_000 },
  );
  after(async () => {
    await cp?.stop();
  });

  test("StatefulSet, Service, PodDisruptionBudget and NetworkPolicy validate and keep every field", async () => {
    const custom = spec({
      network: { name: "custom", configMapRef: { name: "devnet-files" } },
      metrics: {
        scrapeFrom: {
          namespaceSelector: { matchLabels: { team: "obs" } },
          podSelector: { matchExpressions: [{ key: "app", operator: "In", values: ["prometheus"] }] },
        },
      },
    });
    const objs = buildProducer({ owner, keysSecretName: REVISION, spec: custom, keysHash: "c".repeat(64) });
    const ns = "default";
    const dryRun = "All";
    const sts = await cp.kc
      .makeApiClient(AppsV1Api)
      .createNamespacedStatefulSet({ namespace: ns, body: objs.statefulSet, dryRun });
    assert.equal(sts.spec?.template.spec?.volumes?.find((v) => v.name === "keys")?.secret?.defaultMode, 0o400);
    assert.deepEqual(
      sts.spec?.template.spec?.containers[0]?.args,
      objs.statefulSet.spec!.template.spec!.containers[0]!.args,
    );
    assert.equal(sts.metadata?.ownerReferences?.[0]?.uid, owner.uid);
    const svc = await cp.kc
      .makeApiClient(CoreV1Api)
      .createNamespacedService({ namespace: ns, body: objs.service, dryRun });
    assert.equal(svc.spec?.clusterIP, "None");
    const pdb = await cp.kc
      .makeApiClient(PolicyV1Api)
      .createNamespacedPodDisruptionBudget({ namespace: ns, body: objs.podDisruptionBudget, dryRun });
    assert.equal(pdb.spec?.minAvailable, 1);
    const policy = buildProducerNetworkPolicy({ owner, spec: custom, relayPort: 3001 });
    // Sent as the operator sends it: wire JSON (client-node's typed API would drop `from`, its model says `_from`).
    const np = await new KubeClient(cp.kc).request<typeof policy>(
      "POST",
      `/apis/networking.k8s.io/v1/namespaces/${ns}/networkpolicies`,
      { query: { dryRun }, body: policy },
    );
    assert.deepEqual(np.spec, toWire(policy).spec);
  });
});
