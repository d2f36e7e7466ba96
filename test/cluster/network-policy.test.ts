// NetworkPolicy on the real cluster (test/helpers/real-cluster.ts, kube-router's enforcer): what the operator's
// producer policies rely on — a deny-all, an allow for some pods on one port, an allow by namespace, and egress —
// is enforced on real packets between real pods. Probes run inside the pods through the API server and the
// kubelet (`kubectl exec`'s path) and fetch another pod's address.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Writable } from "node:stream";
import { CoreV1Api, Exec, NetworkingV1Api, type V1NetworkPolicy } from "@kubernetes/client-node";
import { containerTier } from "../helpers/docker.ts";
import { type RealCluster, startRealCluster, realClusterSkip } from "../helpers/real-cluster.ts";
import { waitWithin } from "../helpers/wait.ts";

const waitFor = waitWithin(60_000);
const A = "np-a";
const B = "np-b";

describe("NetworkPolicy on a real cluster", { timeout: 20 * 60_000, skip: realClusterSkip() }, () => {
  let rc: RealCluster;
  let core: CoreV1Api;
  let net: NetworkingV1Api;
  let image: string;
  let web: string;

  const pod = (ns: string, name: string, labels: Record<string, string>, script: string) =>
    core.createNamespacedPod({
      namespace: ns,
      body: {
        metadata: { name, labels },
        spec: { containers: [{ name: "c", image, command: ["node", "-e", script] }] },
      },
    });

  /** Runs a fetch inside pod `ns/name` towards `url`: "ok <body>" or "fail <reason>". */
  const probe = async (ns: string, name: string, url: string): Promise<string> => {
    const script =
      `fetch(${JSON.stringify(url)}, { signal: AbortSignal.timeout(1500) }).then((r) => r.text())` +
      `.then((t) => console.log("ok " + t), (e) => console.log("fail " + (e.cause?.code ?? e.name)))`;
    let out = "";
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        out += chunk.toString();
        cb();
      },
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`exec in ${ns}/${name} timed out`)), 20_000);
      new Exec(rc.kc)
        .exec(ns, name, "c", ["node", "-e", script], sink, sink, null, false, (status) => {
          clearTimeout(timer);
          if (status.status === "Success") resolve();
          else reject(new Error(`exec in ${ns}/${name}: ${status.message ?? status.status}`));
        })
        .catch((e: unknown) => {
          clearTimeout(timer);
          reject(e instanceof Error ? e : new Error(String(e)));
        });
    });
    return out.trim();
  };
  /** Waits until the probe's outcome is `want` (policies take effect asynchronously), and returns its output. */
  const reach = (ns: string, name: string, port: number, want: "ok" | "fail") =>
    waitFor(`${ns}/${name} -> web:${port} ${want}`, async () => {
      const got = await probe(ns, name, `http://${web}:${port}/`);
      return got.startsWith(want) ? got : undefined;
    });
  const policy = (ns: string, body: V1NetworkPolicy) => net.createNamespacedNetworkPolicy({ namespace: ns, body });

  before(async () => {
    const tier = await containerTier();
    if (!("image" in tier)) throw new Error(`the real-cluster tier needs the node image: ${tier.skip}`);
    image = tier.image;
    rc = await startRealCluster({ images: [image] });
    core = rc.kc.makeApiClient(CoreV1Api);
    net = rc.kc.makeApiClient(NetworkingV1Api);
    await core.createNamespace({ body: { metadata: { name: A } } });
    await core.createNamespace({ body: { metadata: { name: B, labels: { team: "b" } } } });
    for (const ns of [A, B]) {
      await waitFor(`the default ServiceAccount in ${ns}`, () =>
        core.readNamespacedServiceAccount({ name: "default", namespace: ns }).then(() => true),
      );
    }
    const serve = `for (const p of [8080, 9090]) require("node:http").createServer((q, s) => s.end("web:" + p)).listen(p)`;
    const idle = "setInterval(() => {}, 1 << 30)";
    await pod(A, "web", { app: "web" }, serve);
    await pod(A, "client", { role: "client" }, idle);
    await pod(A, "stranger", {}, idle);
    await pod(B, "outsider", { role: "client" }, idle);
    const running = (ns: string, name: string) =>
      waitFor(`${ns}/${name} Running`, async () => {
        const p = await core.readNamespacedPod({ name, namespace: ns });
        return p.status?.phase === "Running" && p.status.podIP ? p.status.podIP : undefined;
      });
    web = await running(A, "web");
    await Promise.all([running(A, "client"), running(A, "stranger"), running(B, "outsider")]);
  });

  after(async () => {
    await rc?.stop();
  });

  it("lets every pod reach the server while no policy selects it", async () => {
    assert.equal(await reach(A, "client", 8080, "ok"), "ok web:8080");
    assert.equal(await reach(A, "stranger", 8080, "ok"), "ok web:8080");
    assert.equal(await reach(B, "outsider", 9090, "ok"), "ok web:9090");
  });

  it("drops all ingress under a deny-all policy", async () => {
    await policy(A, {
      metadata: { name: "deny-all" },
      spec: { podSelector: { matchLabels: { app: "web" } }, policyTypes: ["Ingress"] },
    });
    assert.match(await reach(A, "client", 8080, "fail"), /^fail /);
    assert.match(await probe(A, "stranger", `http://${web}:9090/`), /^fail /);
    assert.match(await probe(B, "outsider", `http://${web}:8080/`), /^fail /);
  });

  it("allows only the selected pods of its namespace, on the allowed port", async () => {
    await policy(A, {
      metadata: { name: "clients-8080" },
      spec: {
        podSelector: { matchLabels: { app: "web" } },
        policyTypes: ["Ingress"],
        ingress: [{ _from: [{ podSelector: { matchLabels: { role: "client" } } }], ports: [{ port: 8080 }] }],
      },
    });
    assert.equal(await reach(A, "client", 8080, "ok"), "ok web:8080");
    assert.match(await probe(A, "client", `http://${web}:9090/`), /^fail /);
    assert.match(await probe(A, "stranger", `http://${web}:8080/`), /^fail /);
    // Same label, other namespace: a bare podSelector means this namespace only.
    assert.match(await probe(B, "outsider", `http://${web}:8080/`), /^fail /);
  });

  it("allows pods of another namespace by its labels", async () => {
    await policy(A, {
      metadata: { name: "team-b" },
      spec: {
        podSelector: { matchLabels: { app: "web" } },
        policyTypes: ["Ingress"],
        ingress: [{ _from: [{ namespaceSelector: { matchLabels: { team: "b" } } }], ports: [{ port: 9090 }] }],
      },
    });
    assert.equal(await reach(B, "outsider", 9090, "ok"), "ok web:9090");
    assert.match(await probe(B, "outsider", `http://${web}:8080/`), /^fail /);
  });

  it("stops a pod's egress under an egress policy, while ingress rules still allow the server", async () => {
    await policy(A, {
      metadata: { name: "client-no-egress" },
      spec: { podSelector: { matchLabels: { role: "client" } }, policyTypes: ["Egress"] },
    });
    assert.match(await reach(A, "client", 8080, "fail"), /^fail /);
    // The outsider, in another namespace, is not selected: it still reaches the server where ingress allows.
    assert.equal(await probe(B, "outsider", `http://${web}:9090/`), "ok web:9090");
  });
});
