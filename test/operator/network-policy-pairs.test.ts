// The pool's NetworkPolicies as a whole, evaluated with Kubernetes semantics (test/helpers/network-policy.ts) over
// pairs of pods: the producer of pool-a, its two relays, pool-b's producer and relay beside it in the same
// namespace, random pods, DNS and a non-DNS pod in kube-system, the Prometheus the spec names, look-alikes of it,
// the operator (installed by the chart), and an address on the internet. Only relay <-> producer on the
// node-to-node ports, the producer's DNS, metrics from the scraper and the operator, and the API (leader schedule,
// submission) from the pool's relays and the operator — not from the scraper — may reach the producer; relays take
// node-to-node traffic from anyone, metrics only from the scraper and the operator, the API only from the relays
// and the operator (issue 15, defect 7: whoever may scrape metrics must not read when the producer leads).
//
// The producer listens on 6000 and the relays on 3001, so a policy that mixes the two ports up fails here.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { V1NetworkPolicyPeer } from "@kubernetes/client-node";
import type { WireNetworkPolicy } from "../../src/operator/builders/network-policy.ts";
import { relaySpec } from "../../src/api/relay.ts";
import { stakePoolSpec } from "../../src/api/stakepool.ts";
import { buildProducerNetworkPolicy } from "../../src/operator/builders/network-policy.ts";
import { NODE_API_PORT } from "../../src/operator/builders/node-pod.ts";
import { buildRelayNetworkPolicy, POD_NAME_LABEL } from "../../src/operator/builders/relay.ts";
import { names, type Owner, selectorLabels } from "../../src/operator/names.ts";
import {
  type Cluster,
  type Connection,
  type Endpoint,
  evaluate,
  type Pod,
  type Protocol,
} from "../helpers/network-policy.ts";
import { GOOD } from "./crd-cases.ts";

const NS = "pools";
const PRODUCER_PORT = 6000;
const RELAY_PORT = 3001;
const METRICS_PORT = 12798;
const API_PORT = NODE_API_PORT;

/** Prometheus in the monitoring namespace, as a StakePool's spec.metrics.scrapeFrom names it. */
const SCRAPE_FROM = {
  namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } },
  podSelector: { matchExpressions: [{ key: "app.kubernetes.io/name", operator: "In", values: ["prometheus"] }] },
};

/**
 * The operator's pods, as src/operator/controllers/index.ts (operatorPeerOf) describes them to the builders when the chart runs the
 * operator in poolfleet-system (test/chart/chart.test.ts checks the chart labels its pods so).
 */
const OPERATOR_PEER: V1NetworkPolicyPeer = {
  namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "poolfleet-system" } },
  podSelector: { matchLabels: { "app.kubernetes.io/name": "poolfleet-operator" } },
};
/** The labels the chart gives an operator pod (release "poolfleet"). */
const OPERATOR_POD_LABELS = {
  "app.kubernetes.io/name": "poolfleet-operator",
  "app.kubernetes.io/instance": "poolfleet",
  "app.kubernetes.io/component": "operator",
  "app.kubernetes.io/part-of": "poolfleet",
};

const owner = (kind: string, name: string): Owner => ({
  apiVersion: "poolfleet.io/v1alpha1",
  kind,
  name,
  namespace: NS,
  uid: `uid-${name}`,
});

function poolPolicies(pool: string): { producer: WireNetworkPolicy; relay: WireNetworkPolicy } {
  const spec = stakePoolSpec.parse({
    ...GOOD.StakePool,
    port: PRODUCER_PORT,
    metrics: { port: METRICS_PORT, scrapeFrom: SCRAPE_FROM },
  });
  const relay = relaySpec.parse({
    network: { name: "preprod" },
    poolRef: { name: pool },
    port: RELAY_PORT,
    metrics: { port: METRICS_PORT, scrapeFrom: SCRAPE_FROM },
  });
  return {
    producer: buildProducerNetworkPolicy({
      owner: owner("StakePool", pool),
      spec,
      relayPort: relay.port,
      operatorPeer: OPERATOR_PEER,
    }),
    relay: buildRelayNetworkPolicy({
      owner: owner("Relay", names.relay(pool)),
      spec: relay,
      operatorPeer: OPERATOR_PEER,
    }),
  };
}

const a = poolPolicies("pool-a");
const b = poolPolicies("pool-b");
const cluster: Cluster = {
  policies: [a.producer, a.relay, b.producer, b.relay],
  namespaces: { [NS]: {}, apps: {}, "kube-system": {}, monitoring: {}, "poolfleet-system": {} },
};

let ip = 10;
const pod = (name: string, namespace: string, labels: Record<string, string>): Pod => ({
  name,
  namespace,
  labels,
  ip: `10.244.0.${ip++}`,
});
const relayPod = (relay: string, i: number) =>
  pod(`${relay}-${i}`, NS, { ...selectorLabels("relay", relay), [POD_NAME_LABEL]: `${relay}-${i}` });

const P = {
  producer: pod("producer", NS, selectorLabels("producer", "pool-a")),
  relay0: relayPod("pool-a-relay", 0),
  relay1: relayPod("pool-a-relay", 1),
  otherProducer: pod("pool-b producer", NS, selectorLabels("producer", "pool-b")),
  otherRelay: relayPod("pool-b-relay", 0),
  random: pod("random pod in pools", NS, { app: "random" }),
  elsewhere: pod("apps/web", "apps", { app: "web" }),
  dns: pod("kube-dns", "kube-system", { "k8s-app": "kube-dns" }),
  notDns: pod("kube-system/metrics-server", "kube-system", { "k8s-app": "metrics-server" }),
  scraper: pod("monitoring/prometheus", "monitoring", { "app.kubernetes.io/name": "prometheus" }),
  lookalike: pod("apps/prometheus (wrong namespace)", "apps", { "app.kubernetes.io/name": "prometheus" }),
  grafana: pod("monitoring/grafana", "monitoring", { "app.kubernetes.io/name": "grafana" }),
  operator: pod("operator", "poolfleet-system", OPERATOR_POD_LABELS),
  operatorElsewhere: pod("apps/poolfleet-operator (wrong namespace)", "apps", OPERATOR_POD_LABELS),
  internet: { name: "internet 203.0.113.7", ip: "203.0.113.7" },
} satisfies Record<string, Endpoint>;

const PORTS: [number, Protocol][] = [
  [PRODUCER_PORT, "TCP"],
  [RELAY_PORT, "TCP"],
  [METRICS_PORT, "TCP"],
  [API_PORT, "TCP"],
  [53, "UDP"],
  [53, "TCP"],
  [22, "TCP"],
  [PRODUCER_PORT, "UDP"],
];

const show = (c: Connection) => `${c.from.name} -> ${c.to.name}:${c.port}/${c.protocol}`;

describe("the exact rules", () => {
  test("producer: isolated both ways; relays in on 6000, out to relays on 3001, DNS out, metrics in", () => {
    assert.deepEqual(structuredClone(a.producer.spec), {
      podSelector: { matchLabels: selectorLabels("producer", "pool-a") },
      policyTypes: ["Ingress", "Egress"],
      ingress: [
        {
          from: [{ podSelector: { matchLabels: selectorLabels("relay", "pool-a-relay") } }],
          ports: [{ protocol: "TCP", port: PRODUCER_PORT }],
        },
        {
          from: [{ podSelector: { matchLabels: selectorLabels("relay", "pool-a-relay") } }, OPERATOR_PEER],
          ports: [{ protocol: "TCP", port: API_PORT }],
        },
        {
          from: [SCRAPE_FROM],
          ports: [{ protocol: "TCP", port: METRICS_PORT }],
        },
        { from: [OPERATOR_PEER], ports: [{ protocol: "TCP", port: METRICS_PORT }] },
      ],
      egress: [
        {
          to: [{ podSelector: { matchLabels: selectorLabels("relay", "pool-a-relay") } }],
          ports: [{ protocol: "TCP", port: RELAY_PORT }],
        },
        {
          to: [
            {
              namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } },
              podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
            },
          ],
          ports: [
            { protocol: "UDP", port: 53 },
            { protocol: "TCP", port: 53 },
          ],
        },
      ],
    });
    assert.equal(a.producer.metadata?.namespace, NS);
  });

  test("relay: ingress only; node-to-node from anyone, API from the relays and the operator, metrics from the scraper and the operator", () => {
    assert.deepEqual(structuredClone(a.relay.spec), {
      podSelector: { matchLabels: selectorLabels("relay", "pool-a-relay") },
      policyTypes: ["Ingress"],
      ingress: [
        { ports: [{ protocol: "TCP", port: RELAY_PORT }] },
        {
          from: [{ podSelector: { matchLabels: selectorLabels("relay", "pool-a-relay") } }, OPERATOR_PEER],
          ports: [{ protocol: "TCP", port: API_PORT }],
        },
        { from: [SCRAPE_FROM], ports: [{ protocol: "TCP", port: METRICS_PORT }] },
        { from: [OPERATOR_PEER], ports: [{ protocol: "TCP", port: METRICS_PORT }] },
      ],
    });
  });
});

describe("pairs of pods", () => {
  // [from, to, port, protocol, allowed, why]
  const TABLE: [Endpoint, Endpoint, number, Protocol, boolean, string][] = [
    [P.relay0, P.producer, PRODUCER_PORT, "TCP", true, "own relay to producer"],
    [P.relay1, P.producer, PRODUCER_PORT, "TCP", true, "own relay to producer"],
    [P.producer, P.relay0, RELAY_PORT, "TCP", true, "producer to own relay"],
    [P.producer, P.relay1, RELAY_PORT, "TCP", true, "producer to own relay"],
    [P.producer, P.dns, 53, "UDP", true, "DNS"],
    [P.producer, P.dns, 53, "TCP", true, "DNS over TCP"],
    [P.scraper, P.producer, METRICS_PORT, "TCP", true, "metrics scrape"],
    [P.operator, P.producer, METRICS_PORT, "TCP", true, "operator reads /metrics for status"],
    [P.relay0, P.producer, RELAY_PORT, "TCP", false, "relay to producer on the relays' port"],
    [P.relay0, P.producer, METRICS_PORT, "TCP", false, "relay scraping the producer"],
    [P.producer, P.relay0, PRODUCER_PORT, "TCP", false, "producer to relay on its own port"],
    [P.otherRelay, P.producer, PRODUCER_PORT, "TCP", false, "another pool's relay"],
    [P.producer, P.otherRelay, RELAY_PORT, "TCP", false, "producer to another pool's relay"],
    [P.otherProducer, P.producer, PRODUCER_PORT, "TCP", false, "another pool's producer"],
    [P.otherProducer, P.relay0, RELAY_PORT, "TCP", false, "another pool's producer to our relay (its egress)"],
    [P.random, P.producer, PRODUCER_PORT, "TCP", false, "random pod, same namespace"],
    [P.elsewhere, P.producer, PRODUCER_PORT, "TCP", false, "random pod, other namespace"],
    [P.internet, P.producer, PRODUCER_PORT, "TCP", false, "the internet"],
    [P.producer, P.internet, RELAY_PORT, "TCP", false, "producer dialling out"],
    [P.producer, P.internet, 443, "TCP", false, "producer dialling out"],
    [P.producer, P.notDns, 53, "UDP", false, "DNS to a pod that is not kube-dns"],
    [P.producer, P.random, 53, "UDP", false, "DNS to a random pod"],
    [P.lookalike, P.producer, METRICS_PORT, "TCP", false, "scraper labels, wrong namespace"],
    [P.grafana, P.producer, METRICS_PORT, "TCP", false, "right namespace, wrong pod"],
    [P.operatorElsewhere, P.producer, METRICS_PORT, "TCP", false, "operator labels, wrong namespace"],
    [P.scraper, P.producer, PRODUCER_PORT, "TCP", false, "scraper on the node port"],
    [P.internet, P.relay0, RELAY_PORT, "TCP", true, "the internet to a relay"],
    [P.otherRelay, P.relay0, RELAY_PORT, "TCP", true, "another pool's relay to ours (public peers)"],
    [P.relay0, P.internet, RELAY_PORT, "TCP", true, "relay dialling public peers"],
    [P.scraper, P.relay0, METRICS_PORT, "TCP", true, "metrics scrape of a relay"],
    [P.operator, P.relay1, METRICS_PORT, "TCP", true, "operator reads a relay's /metrics"],
    [P.random, P.relay0, METRICS_PORT, "TCP", false, "random pod scraping a relay"],
    [P.internet, P.relay0, METRICS_PORT, "TCP", false, "the internet scraping a relay"],
    [P.internet, P.relay0, 22, "TCP", false, "the internet on another port of a relay"],
    [P.operator, P.producer, API_PORT, "TCP", true, "operator asks for the leader schedule (KES rotation)"],
    [P.relay0, P.producer, API_PORT, "TCP", true, "own relay to the producer's API"],
    [P.scraper, P.producer, API_PORT, "TCP", false, "the scraper must not read the leader schedule"],
    [P.otherRelay, P.producer, API_PORT, "TCP", false, "another pool's relay to the producer's API"],
    [P.random, P.producer, API_PORT, "TCP", false, "random pod to the producer's API"],
    [P.operatorElsewhere, P.producer, API_PORT, "TCP", false, "operator labels, wrong namespace"],
    [P.relay1, P.relay0, API_PORT, "TCP", true, "sibling relay to a relay's API"],
    [P.operator, P.relay0, API_PORT, "TCP", true, "operator to a relay's API"],
    [P.scraper, P.relay0, API_PORT, "TCP", false, "the scraper to a relay's API"],
    [P.otherRelay, P.relay0, API_PORT, "TCP", false, "another pool's relay to our relay's API"],
    [P.internet, P.relay0, API_PORT, "TCP", false, "the internet to a relay's API"],
  ];
  for (const [from, to, port, protocol, want, why] of TABLE) {
    const conn = { from, to, port, protocol };
    test(`${want ? "allowed" : "denied "}: ${show(conn)} (${why})`, () => {
      const v = evaluate(cluster, conn);
      assert.equal(v.allowed, want, v.reason);
    });
  }

  test("every connection to or from the producer, on every port tried: exactly the allowed set above", () => {
    const endpoints = Object.values(P) as Endpoint[];
    const allowed: string[] = [];
    let tried = 0;
    for (const x of endpoints) {
      for (const y of endpoints) {
        if (x === y || (x !== P.producer && y !== P.producer)) continue;
        for (const [port, protocol] of PORTS) {
          tried++;
          const conn = { from: x, to: y, port, protocol };
          if (evaluate(cluster, conn).allowed) allowed.push(show(conn));
        }
      }
    }
    assert.equal(tried, (endpoints.length - 1) * 2 * PORTS.length);
    assert.deepEqual(
      allowed.sort(),
      [`kube-dns:53/TCP`, `kube-dns:53/UDP`, `pool-a-relay-0:${RELAY_PORT}/TCP`, `pool-a-relay-1:${RELAY_PORT}/TCP`]
        .map((to) => `producer -> ${to}`)
        .concat(
          [`monitoring/prometheus`, `operator`].map((f) => `${f} -> producer:${METRICS_PORT}/TCP`),
          [`operator`, `pool-a-relay-0`, `pool-a-relay-1`].map((f) => `${f} -> producer:${API_PORT}/TCP`),
          [`pool-a-relay-0`, `pool-a-relay-1`].map((f) => `${f} -> producer:${PRODUCER_PORT}/TCP`),
        )
        .sort(),
    );
  });
});

describe("the evaluator itself, on the Kubernetes documentation's cases", () => {
  const ns = (name: string, labels: Record<string, string> = {}) => ({ [name]: labels });
  const x = { name: "x", namespace: "default", labels: { role: "db" }, ip: "10.0.0.1", ports: { pg: 5432 } };
  const y = { name: "y", namespace: "default", labels: { role: "frontend" }, ip: "10.0.0.2" };
  const z = { name: "z", namespace: "other", labels: { role: "frontend" }, ip: "172.17.1.5" };
  const policy = (spec: WireNetworkPolicy["spec"], namespace = "default"): WireNetworkPolicy => ({
    metadata: { name: "p", namespace },
    spec,
  });
  const tcp = (from: Endpoint, to: Endpoint, port: number): Connection => ({ from, to, port, protocol: "TCP" });

  test("no policy: open; an empty ingress policy isolates; policyTypes default to Ingress", () => {
    const open: Cluster = { policies: [], namespaces: { ...ns("default"), ...ns("other") } };
    assert.ok(evaluate(open, tcp(y, x, 1)).allowed);
    const denyAll: Cluster = { ...open, policies: [policy({ podSelector: {} })] };
    assert.ok(!evaluate(denyAll, tcp(y, x, 1)).allowed);
    assert.ok(evaluate(denyAll, tcp(x, z, 1)).allowed, "egress stays open: the policy has no egress rules");
  });

  test("namespaceSelector and podSelector in one peer is AND; in two peers, OR", () => {
    const and = policy({
      podSelector: { matchLabels: { role: "db" } },
      ingress: [
        {
          from: [
            { namespaceSelector: { matchLabels: { team: "a" } }, podSelector: { matchLabels: { role: "frontend" } } },
          ],
        },
      ],
    });
    const or = policy({
      podSelector: { matchLabels: { role: "db" } },
      ingress: [
        {
          from: [
            { namespaceSelector: { matchLabels: { team: "a" } } },
            { podSelector: { matchLabels: { role: "frontend" } } },
          ],
        },
      ],
    });
    const namespaces = { ...ns("default"), ...ns("other", { team: "a" }) };
    const lonely = { ...y, name: "w", namespace: "other", labels: { role: "batch" } };
    assert.ok(evaluate({ policies: [and], namespaces }, tcp(z, x, 1)).allowed);
    assert.ok(!evaluate({ policies: [and], namespaces }, tcp(y, x, 1)).allowed, "y's namespace is not team a");
    assert.ok(!evaluate({ policies: [and], namespaces }, tcp(lonely, x, 1)).allowed);
    assert.ok(evaluate({ policies: [or], namespaces }, tcp(y, x, 1)).allowed, "same namespace, frontend");
    assert.ok(evaluate({ policies: [or], namespaces }, tcp(lonely, x, 1)).allowed, "team a namespace");
  });

  test("ipBlock with except, named ports, endPort, protocol, and matchExpressions", () => {
    const namespaces = { ...ns("default"), ...ns("other") };
    const p = policy({
      podSelector: { matchExpressions: [{ key: "role", operator: "In", values: ["db", "cache"] }] },
      ingress: [
        { from: [{ ipBlock: { cidr: "172.17.0.0/16", except: ["172.17.1.0/24"] } }], ports: [{ port: "pg" }] },
        {
          from: [{ podSelector: { matchExpressions: [{ key: "role", operator: "NotIn", values: ["db"] }] } }],
          ports: [{ port: 32000, endPort: 32768 }],
        },
      ],
    });
    const c: Cluster = { policies: [p], namespaces };
    const ext = { name: "ext", ip: "172.17.2.9" };
    assert.ok(evaluate(c, tcp(ext, x, 5432)).allowed, "named port pg resolves to 5432");
    assert.ok(!evaluate(c, tcp(ext, x, 5433)).allowed);
    assert.ok(!evaluate(c, tcp(z, x, 5432)).allowed, "172.17.1.5 is in the except range");
    assert.ok(!evaluate(c, { ...tcp(ext, x, 5432), protocol: "UDP" }).allowed, "TCP is the default protocol");
    assert.ok(evaluate(c, tcp(y, x, 32768)).allowed, "endPort is inclusive");
    assert.ok(!evaluate(c, tcp(y, x, 32769)).allowed);
    assert.ok(evaluate(c, tcp(x, y, 1)).allowed, "y (frontend) is not selected: open");
  });

  test("egress isolation needs the destination to match a `to` peer and a port", () => {
    const c: Cluster = {
      namespaces: { ...ns("default"), ...ns("other") },
      policies: [
        policy({
          podSelector: { matchLabels: { role: "db" } },
          policyTypes: ["Egress"],
          egress: [{ to: [{ ipBlock: { cidr: "10.0.0.0/24" } }], ports: [{ protocol: "UDP", port: 53 }] }],
        }),
      ],
    };
    assert.ok(evaluate(c, { from: x, to: y, port: 53, protocol: "UDP" }).allowed);
    assert.ok(!evaluate(c, { from: x, to: y, port: 53, protocol: "TCP" }).allowed);
    assert.ok(!evaluate(c, { from: x, to: z, port: 53, protocol: "UDP" }).allowed);
    assert.ok(evaluate(c, tcp(y, x, 9)).allowed, "Egress-only policy leaves ingress open");
  });
});
