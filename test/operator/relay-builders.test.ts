// The relay builders and both topologies: pure functions checked in memory (exact Services, rules, files), then on
// the real API server with a server-side dry run (Kubernetes' own validation: node ports, selectors, policy shape).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { AppsV1Api, CoreV1Api } from "@kubernetes/client-node";
import { relaySpec, type RelaySpecInput } from "../../src/api/relay.ts";
import { parseTopology, localRoots } from "../../src/formats/topology.ts";
import { buildRelay, POD_NAME_LABEL, relayArgs } from "../../src/operator/builders/relay.ts";
import { buildProducer } from "../../src/operator/builders/producer.ts";
import {
  buildProducerTopology,
  buildRelayTopology,
  relayTopologyKey,
  TOPOLOGY_KEY,
} from "../../src/operator/builders/topology.ts";
import { stakePoolSpec } from "../../src/api/stakepool.ts";
import { toWire } from "../../src/operator/manager/apply.ts";
import { KubeClient } from "../../src/kube/client.ts";
import type { Owner } from "../../src/operator/names.ts";
import { type ControlPlane, startControlPlane } from "../helpers/envtest.ts";

const relayOwner: Owner = {
  apiVersion: "poolfleet.io/v1alpha1",
  kind: "Relay",
  name: "pool-a-relay",
  namespace: "pools",
  uid: "0b7e1c2d-9f4a-4e55-8d0e-5a1b2c3d4e5f",
};
const poolOwner: Owner = {
  ...relayOwner,
  kind: "StakePool",
  name: "pool-a",
  uid: "6c1b7f0e-3c57-4d0b-9b7a-1f6c9f0e2a11",
};

const spec = (input: Partial<RelaySpecInput> = {}) =>
  relaySpec.parse({ network: { name: "preprod" }, poolRef: { name: "pool-a" }, ...input });

describe("relay StatefulSet", () => {
  test("N relays, the node image, cardano-node's flags, each pod reading its own topology file", () => {
    const { statefulSet } = buildRelay({ owner: relayOwner, spec: spec({ replicas: 3 }) });
    assert.equal(statefulSet.metadata?.name, "pool-a-relay");
    assert.equal(statefulSet.spec?.replicas, 3);
    assert.equal(statefulSet.spec?.serviceName, "pool-a-relay");
    const c = statefulSet.spec!.template.spec!.containers[0]!;
    assert.equal(c.image, "poolfleet/poolfleet-node:0.1.0");
    assert.deepEqual(c.args, relayArgs(spec()));
    const flag = (f: string) => c.args![c.args!.indexOf(f) + 1];
    assert.equal(flag("--topology"), "/etc/poolfleet/topology/$(POD_NAME).json");
    assert.equal(flag("--config"), "/opt/poolfleet/networks/preprod/config.json");
    assert.equal(flag("--port"), "3001");
    assert.ok(!c.args!.some((a) => a.startsWith("--shelley-")), "a relay has no keys");
    assert.deepEqual(c.env, [{ name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } }]);
    assert.equal(
      statefulSet.spec!.template.spec!.volumes!.find((v) => v.name === "topology")?.configMap?.name,
      "pool-a-relay-topology",
    );
    assert.ok(!statefulSet.spec!.template.spec!.volumes!.some((v) => v.secret), "no Secret is mounted");
  });

  test("probes, non-root, read-only root, a volume claim per relay: the same pod shape as the producer", () => {
    const relay = buildRelay({ owner: relayOwner, spec: spec() }).statefulSet.spec!;
    const producer = buildProducer({
      owner: poolOwner,
      keysSecretName: "pool-a-keys-01234567",
      spec: stakePoolSpec.parse({ network: { name: "preprod" }, keys: { secretRef: { name: "k" } } }),
    }).statefulSet.spec!;
    const r = relay.template.spec!;
    const p = producer.template.spec!;
    assert.deepEqual(r.securityContext, p.securityContext);
    assert.equal(r.securityContext?.runAsNonRoot, true);
    for (const k of [
      "startupProbe",
      "livenessProbe",
      "readinessProbe",
      "securityContext",
      "resources",
      "ports",
    ] as const) {
      assert.deepEqual(r.containers[0]![k], p.containers[0]![k], k);
    }
    assert.equal(r.containers[0]!.readinessProbe?.httpGet?.path, "/ready");
    assert.equal(r.containers[0]!.livenessProbe?.httpGet?.path, "/health");
    assert.equal(r.containers[0]!.securityContext?.readOnlyRootFilesystem, true);
    assert.deepEqual(
      relay.volumeClaimTemplates,
      producer.volumeClaimTemplates!.map((t) => ({
        ...t,
        metadata: { ...t.metadata, labels: relay.template.metadata!.labels },
      })),
    );
  });
});

describe("relay Services", () => {
  test("ClusterIP: one per relay selecting its pod by name, plus the shared headless Service", () => {
    const { service, relayServices } = buildRelay({ owner: relayOwner, spec: spec({ replicas: 2 }) });
    assert.equal(service.metadata?.name, "pool-a-relay");
    assert.equal(service.spec?.clusterIP, "None");
    assert.deepEqual(
      relayServices.map((s) => [s.metadata?.name, s.spec?.type, s.spec?.selector?.[POD_NAME_LABEL]]),
      [
        ["pool-a-relay-0", "ClusterIP", "pool-a-relay-0"],
        ["pool-a-relay-1", "ClusterIP", "pool-a-relay-1"],
      ],
    );
    assert.equal(relayServices[0]!.spec?.selector?.["app.kubernetes.io/instance"], "pool-a-relay");
    assert.equal(relayServices[0]!.spec?.publishNotReadyAddresses, true);
  });

  test("NodePort: each relay on its own node port, in ordinal order", () => {
    const { relayServices } = buildRelay({
      owner: relayOwner,
      spec: spec({ replicas: 2, service: { type: "NodePort", nodePorts: [30001, 30002] } }),
    });
    assert.deepEqual(
      relayServices.map((s) => [s.spec?.type, s.spec?.ports?.[0]?.nodePort]),
      [
        ["NodePort", 30001],
        ["NodePort", 30002],
      ],
    );
  });

  test("LoadBalancer: source ranges and annotations on every relay Service, and nowhere else", () => {
    const { service, relayServices } = buildRelay({
      owner: relayOwner,
      spec: spec({
        service: {
          type: "LoadBalancer",
          loadBalancerSourceRanges: ["203.0.113.0/24"],
          annotations: { "external-dns.alpha.kubernetes.io/hostname": "relays.example.com" },
        },
      }),
    });
    for (const s of relayServices) {
      assert.equal(s.spec?.type, "LoadBalancer");
      assert.deepEqual(s.spec?.loadBalancerSourceRanges, ["203.0.113.0/24"]);
      assert.equal(s.metadata?.annotations?.["external-dns.alpha.kubernetes.io/hostname"], "relays.example.com");
    }
    assert.equal(service.metadata?.annotations, undefined);
  });
});

describe("relay NetworkPolicy", () => {
  test("exact rules: node-to-node open to all, the API to the relays, metrics only from the scrape source, egress not restricted", () => {
    const { networkPolicy } = buildRelay({
      owner: relayOwner,
      spec: spec({ port: 6000, metrics: { scrapeFrom: { podSelector: { matchLabels: { app: "prometheus" } } } } }),
    });
    assert.deepEqual(networkPolicy.spec, {
      podSelector: {
        matchLabels: {
          "app.kubernetes.io/name": "poolfleet-node",
          "app.kubernetes.io/instance": "pool-a-relay",
          "app.kubernetes.io/component": "relay",
        },
      },
      policyTypes: ["Ingress"],
      ingress: [
        { ports: [{ protocol: "TCP", port: 6000 }] },
        {
          from: [
            {
              podSelector: {
                matchLabels: {
                  "app.kubernetes.io/name": "poolfleet-node",
                  "app.kubernetes.io/instance": "pool-a-relay",
                  "app.kubernetes.io/component": "relay",
                },
              },
            },
          ],
          ports: [{ protocol: "TCP", port: 12799 }],
        },
        { from: [{ podSelector: { matchLabels: { app: "prometheus" } } }], ports: [{ protocol: "TCP", port: 12798 }] },
      ],
    });
    const plain = buildRelay({ owner: relayOwner, spec: spec() }).networkPolicy;
    assert.equal(plain.spec!.ingress!.length, 2, "no scrape source: the metrics port stays closed");
    const operatorPeer = {
      namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "poolfleet-system" } },
      podSelector: { matchLabels: { "app.kubernetes.io/name": "poolfleet-operator" } },
    };
    const withOperator = buildRelay({ owner: relayOwner, spec: spec(), operatorPeer }).networkPolicy;
    assert.deepEqual(withOperator.spec!.ingress![1]!.from!.at(-1), operatorPeer, "the operator reaches the API");
    assert.deepEqual(withOperator.spec!.ingress![2], {
      from: [operatorPeer],
      ports: [{ protocol: "TCP", port: 12798 }],
    });
  });
});

describe("topologies", () => {
  test("producer: only its relays, by their own Services, trustable; no public roots, no bootstrap, no ledger", () => {
    const cm = buildProducerTopology({ owner: poolOwner, relays: { name: "pool-a-relay", replicas: 2, port: 3001 } });
    assert.equal(cm.metadata?.name, "pool-a-producer-topology");
    const text = cm.data![TOPOLOGY_KEY]!;
    const raw = JSON.parse(text);
    assert.equal(raw.bootstrapPeers, null);
    assert.deepEqual(raw.publicRoots, []);
    assert.equal(raw.useLedgerAfterSlot, -1);
    const t = parseTopology(text, "producer topology");
    assert.deepEqual(localRoots(t), [
      {
        accessPoints: [
          { address: "pool-a-relay-0.pools.svc.cluster.local", port: 3001 },
          { address: "pool-a-relay-1.pools.svc.cluster.local", port: 3001 },
        ],
        advertise: false,
        trustable: true,
        hotValency: 2,
        warmValency: 2,
      },
    ]);
  });

  test("relay n: the producer's headless Service and the other relays as local roots, never itself, nothing advertised", () => {
    const cm = buildRelayTopology({
      owner: relayOwner,
      spec: spec({ replicas: 3 }),
      producer: { pool: "pool-a", port: 3001 },
    });
    assert.equal(cm.metadata?.name, "pool-a-relay-topology");
    assert.deepEqual(Object.keys(cm.data!), ["pool-a-relay-0.json", "pool-a-relay-1.json", "pool-a-relay-2.json"]);
    const t1 = parseTopology(cm.data![relayTopologyKey("pool-a-relay", 1)]!, "relay 1");
    const roots = localRoots(t1);
    assert.deepEqual(roots[0]!.accessPoints, [{ address: "pool-a-producer.pools.svc.cluster.local", port: 3001 }]);
    assert.equal(roots[0]!.trustable, true);
    assert.deepEqual(
      roots[1]!.accessPoints.map((a) => a.address),
      ["pool-a-relay-0.pools.svc.cluster.local", "pool-a-relay-2.pools.svc.cluster.local"],
    );
    for (const text of Object.values(cm.data!)) {
      const t = parseTopology(text, "relay");
      assert.ok(
        t.localRoots.every((g) => !g.advertise),
        "local roots are never advertised",
      );
      assert.ok(t.publicRoots.every((g) => !g.advertise));
      const producerIn = t.publicRoots.flatMap((g) => g.accessPoints).some((a) => a.address.includes("producer"));
      assert.ok(!producerIn, "the producer is never a public root");
    }
  });

  test("relays' public roots: spec.publicPeers, else the preset's bootstrap peers, else none (custom)", () => {
    const preset = parseTopology(
      buildRelayTopology({ owner: relayOwner, spec: spec() }).data!["pool-a-relay-0.json"]!,
      "x",
    );
    assert.deepEqual(preset.publicRoots, [
      { accessPoints: [{ address: "preprod-node.play.dev.cardano.org", port: 3001 }], advertise: false },
    ]);
    assert.equal(preset.useLedgerAfterSlot, 52358331);
    const mine = parseTopology(
      buildRelayTopology({
        owner: relayOwner,
        spec: spec({ publicPeers: [{ address: "relay.example.org", port: 6000 }], useLedgerAfterSlot: -1 }),
      }).data!["pool-a-relay-0.json"]!,
      "x",
    );
    assert.deepEqual(mine.publicRoots[0]!.accessPoints, [{ address: "relay.example.org", port: 6000 }]);
    assert.equal(mine.useLedgerAfterSlot, -1);
    const custom = parseTopology(
      buildRelayTopology({
        owner: relayOwner,
        spec: spec({ network: { name: "custom", configMapRef: { name: "devnet" } } }),
      }).data!["pool-a-relay-0.json"]!,
      "x",
    );
    assert.deepEqual(custom.publicRoots, []);
    assert.equal(custom.useLedgerAfterSlot, -1);
  });

  test("a relay without a pool has no producer root; one relay alone has no sibling root", () => {
    const t = parseTopology(
      buildRelayTopology({ owner: relayOwner, spec: spec({ replicas: 1, poolRef: undefined }) }).data![
        "pool-a-relay-0.json"
      ]!,
      "x",
    );
    assert.deepEqual(t.localRoots, []);
  });
});

describe("the API server accepts what the relay builders make (server-side dry run)", () => {
  let cp: ControlPlane;
  before(
    async () => {
      cp = await startControlPlane();
      await cp.kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: "pools" } } });
    },
    { timeout: 55 * 60_000 },
  );
  after(async () => {
    await cp?.stop();
  });

  test("StatefulSet, Services of each type, NetworkPolicy and topology ConfigMaps validate and keep their fields", async () => {
    const ns = "pools";
    const dryRun = "All";
    const core = cp.kc.makeApiClient(CoreV1Api);
    for (const service of [
      { type: "ClusterIP" as const },
      { type: "NodePort" as const, nodePorts: [30101, 30102] },
      { type: "LoadBalancer" as const, loadBalancerSourceRanges: ["198.51.100.0/24"], annotations: { a: "b" } },
    ]) {
      const objs = buildRelay({ owner: relayOwner, spec: spec({ replicas: 2, service }) });
      for (const svc of objs.relayServices) {
        const got = await core.createNamespacedService({ namespace: ns, body: svc, dryRun });
        assert.equal(got.spec?.type, service.type);
        assert.deepEqual(got.spec?.selector, svc.spec?.selector);
        if (service.type === "NodePort") assert.equal(got.spec?.ports?.[0]?.nodePort, svc.spec?.ports?.[0]?.nodePort);
      }
    }
    const objs = buildRelay({
      owner: relayOwner,
      spec: spec({
        replicas: 2,
        network: { name: "custom", configMapRef: { name: "devnet-files" } },
        metrics: { scrapeFrom: { namespaceSelector: { matchLabels: { team: "obs" } } } },
      }),
    });
    const sts = await cp.kc
      .makeApiClient(AppsV1Api)
      .createNamespacedStatefulSet({ namespace: ns, body: objs.statefulSet, dryRun });
    assert.deepEqual(
      sts.spec?.template.spec?.containers[0]?.args,
      objs.statefulSet.spec!.template.spec!.containers[0]!.args,
    );
    assert.equal(sts.spec?.template.spec?.containers[0]?.env?.[0]?.valueFrom?.fieldRef?.fieldPath, "metadata.name");
    const shared = await core.createNamespacedService({ namespace: ns, body: objs.service, dryRun });
    assert.equal(shared.spec?.clusterIP, "None");
    // Sent as the operator sends it: wire JSON (client-node's typed API would drop `from`, its model says `_from`).
    const np = await new KubeClient(cp.kc).request<typeof objs.networkPolicy>(
      "POST",
      `/apis/networking.k8s.io/v1/namespaces/${ns}/networkpolicies`,
      { query: { dryRun }, body: objs.networkPolicy },
    );
    assert.deepEqual(np.spec, toWire(objs.networkPolicy).spec);
    for (const cm of [
      buildRelayTopology({ owner: relayOwner, spec: spec({ replicas: 2 }), producer: { pool: "pool-a", port: 3001 } }),
      buildProducerTopology({ owner: poolOwner, relays: { name: "pool-a-relay", replicas: 2, port: 3001 } }),
    ]) {
      const got = await core.createNamespacedConfigMap({ namespace: ns, body: cm, dryRun });
      assert.deepEqual(got.data, cm.data);
    }
  });
});
