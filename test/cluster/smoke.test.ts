// The real-cluster tier's first behaviour test: a single-node cluster on this machine (test/helpers/real-cluster.ts)
// whose node becomes Ready, runs pods of the node image (their logs read back through the API server and the
// kubelet), and carries pod-to-pod traffic by pod IP and through a Service's ClusterIP found by its DNS name
// (the CNI bridge, kube-proxy and CoreDNS), and lets a pod reach the API server through the kubernetes Service as an
// in-cluster client does (its ServiceAccount token, the certificate checked against the Service's names), while the
// API server listens nowhere but at the host end of the node's veth. Every part is real; nothing here is faked.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { networkInterfaces, tmpdir } from "node:os";
import { after, before, describe, it } from "node:test";
import { CoreV1Api, type V1Pod } from "@kubernetes/client-node";
import { containerTier } from "../helpers/docker.ts";
import { API_SERVICE_IP, type RealCluster, startRealCluster, realClusterSkip } from "../helpers/real-cluster.ts";
import { hostProbe } from "../helpers/real-cluster-probe.ts";
import { mountsUnder } from "../helpers/real-cluster-host.ts";
import { waitWithin } from "../helpers/wait.ts";

const waitFor = waitWithin(120_000);
const NS = "smoke";

describe("real single-node cluster", { timeout: 20 * 60_000, skip: realClusterSkip() }, () => {
  let rc: RealCluster;
  let core: CoreV1Api;
  let image: string;

  before(async () => {
    const tier = await containerTier();
    if (!("image" in tier)) throw new Error(`the real-cluster tier needs the node image: ${tier.skip}`);
    image = tier.image;
    rc = await startRealCluster({ images: [image] });
    core = rc.kc.makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: NS } } });
    await waitFor("the default ServiceAccount in the test namespace", () =>
      core.readNamespacedServiceAccount({ name: "default", namespace: NS }).then(() => true),
    );
  });

  after(async () => {
    if (!rc) return;
    await rc.stop(); // throws naming whatever it could not remove
    // Nothing of the node is left on the host: its namespace, the veth's host end and the route to the pods.
    assert.doesNotMatch(execFileSync("ip", ["netns", "list"]).toString(), new RegExp(`^${rc.net.ns}\\b`, "m"));
    assert.equal(existsSync(`/sys/class/net/${rc.net.hostIf}`), false);
    assert.doesNotMatch(
      execFileSync("ip", ["-4", "route"]).toString(),
      new RegExp(rc.net.podCidr.replace(/\./g, "\\.")),
    );
    assert.deepEqual(
      mountsUnder(tmpdir()).filter((m) => m.includes("poolfleet-rc-")),
      [],
    );
  });

  const phase = async (name: string): Promise<V1Pod> => core.readNamespacedPod({ name, namespace: NS });
  const finished = (name: string) =>
    waitFor(`pod ${name} finished`, async () => {
      const pod = await phase(name);
      return pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed" ? pod : undefined;
    });
  const logsOf = (name: string) => core.readNamespacedPodLog({ name, namespace: NS });

  it("registers the node Ready, running containerd", async () => {
    const node = await core.readNode({ name: rc.nodeName });
    assert.equal(node.status?.conditions?.find((c) => c.type === "Ready")?.status, "True");
    assert.match(node.status?.nodeInfo?.containerRuntimeVersion ?? "", /^containerd:\/\//);
    assert.equal(node.status?.addresses?.find((a) => a.type === "InternalIP")?.address, rc.net.nodeIp);
  });

  it("runs a pod of the node image to completion and reads its logs", async () => {
    await core.createNamespacedPod({
      namespace: NS,
      body: {
        metadata: { name: "help" },
        spec: { restartPolicy: "Never", containers: [{ name: "node", image, args: ["--help"] }] },
      },
    });
    const pod = await finished("help");
    const logs = await logsOf("help");
    assert.equal(pod.status?.phase, "Succeeded", logs);
    assert.equal(pod.status?.containerStatuses?.[0]?.state?.terminated?.exitCode, 0);
    assert.match(logs, /poolfleet-node run/);
    assert.match(logs, /--shelley-kes-key/);
  });

  it("carries pod-to-pod traffic by pod IP and through a Service's ClusterIP by DNS name", async () => {
    const server = `require("node:http").createServer((q, s) => s.writeHead(200, { connection: "close" }).end("hello from " + process.env.HOSTNAME)).listen(8080)`;
    for (const name of ["echo-a", "echo-b"]) {
      await core.createNamespacedPod({
        namespace: NS,
        body: {
          metadata: { name, labels: { app: "echo" } },
          spec: {
            containers: [
              {
                name: "echo",
                image,
                command: ["node", "-e", server],
                ports: [{ containerPort: 8080 }],
                // The kubelet probes from the node's namespace: the route node -> pod over the bridge.
                readinessProbe: { httpGet: { path: "/", port: 8080 }, periodSeconds: 1 },
              },
            ],
          },
        },
      });
    }
    await core.createNamespacedService({
      namespace: NS,
      body: {
        metadata: { name: "echo" },
        spec: { selector: { app: "echo" }, ports: [{ port: 80, targetPort: 8080 }] },
      },
    });
    const ips = await waitFor("both echo pods Ready", async () => {
      const pods = await Promise.all(["echo-a", "echo-b"].map(phase));
      const ready = pods.every((p) => p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"));
      return ready ? pods.map((p) => p.status!.podIP!) : undefined;
    });
    assert.notEqual(ips[0], ips[1]);

    // The client asks echo-a by pod IP, then the Service by name until both endpoints have answered. The server
    // closes every connection: a kept-alive one would take every request to the endpoint it first reached.
    const client = `(async () => {
      const get = async (u) => (await fetch(u, { signal: AbortSignal.timeout(3000) })).text();
      console.log("direct: " + (await get("http://${ips[0]}:8080/")));
      const seen = new Set();
      for (let i = 0; i < 100 && seen.size < 2; i++) {
        try { const t = await get("http://echo.${NS}.svc.cluster.local/"); seen.add(t); console.log("service: " + t); }
        catch (e) { console.log("service error: " + e.cause?.code); }
        await new Promise((r) => setTimeout(r, 100));
      }
      process.exit(seen.size === 2 ? 0 : 1);
    })()`;
    await core.createNamespacedPod({
      namespace: NS,
      body: {
        metadata: { name: "client" },
        spec: { restartPolicy: "Never", containers: [{ name: "client", image, command: ["node", "-e", client] }] },
      },
    });
    const pod = await finished("client");
    const logs = await logsOf("client");
    assert.equal(pod.status?.phase, "Succeeded", logs);
    assert.match(logs, /^direct: hello from echo-a$/m);
    assert.match(logs, /^service: hello from echo-a$/m);
    assert.match(logs, /^service: hello from echo-b$/m);
  });

  it("lets a pod reach the API server through the kubernetes Service, with its ServiceAccount token", async () => {
    // The in-cluster client's path: KUBERNETES_SERVICE_HOST (the ClusterIP) and the Service's DNS name, the CA and
    // token the ServiceAccount admission plugin projects into the pod, the serving certificate verified against
    // the name used. A SelfSubjectReview says who the API server took the caller for.
    const client = `const fs = require("node:fs"), https = require("node:https");
    const sa = "/var/run/secrets/kubernetes.io/serviceaccount";
    const ask = (host) => new Promise((done) => {
      const req = https.request({ host, port: 443, method: "POST", timeout: 5000,
        path: "/apis/authentication.k8s.io/v1/selfsubjectreviews", ca: fs.readFileSync(sa + "/ca.crt"),
        headers: { authorization: "Bearer " + fs.readFileSync(sa + "/token", "utf8"), "content-type": "application/json" },
      }, (res) => { let b = ""; res.on("data", (c) => (b += c)); res.on("end", () => {
        console.log(host + " " + res.statusCode + " " + (JSON.parse(b).status?.userInfo?.username ?? b)); done(); }); });
      req.on("timeout", () => req.destroy(new Error("timed out")));
      req.on("error", (e) => { console.log(host + " fail " + (e.code ?? "") + " " + e.message); done(); });
      req.end(JSON.stringify({ apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" }));
    });
    (async () => { await ask(process.env.KUBERNETES_SERVICE_HOST); await ask("kubernetes.default.svc"); })();`;
    await core.createNamespacedPod({
      namespace: NS,
      body: {
        metadata: { name: "in-cluster" },
        spec: { restartPolicy: "Never", containers: [{ name: "c", image, command: ["node", "-e", client] }] },
      },
    });
    const pod = await finished("in-cluster");
    const logs = await logsOf("in-cluster");
    assert.equal(pod.status?.phase, "Succeeded", logs);
    assert.match(
      logs,
      new RegExp(`^${API_SERVICE_IP.replace(/\./g, "\\.")} 201 system:serviceaccount:${NS}:default$`, "m"),
    );
    assert.match(logs, new RegExp(`^kubernetes\\.default\\.svc 201 system:serviceaccount:${NS}:default$`, "m"));
    // kube-proxy's rule for it: the ClusterIP's port 443 to the API server at the host end of the veth.
    const port = new URL(rc.control.server).port;
    const rules = execFileSync("nsenter", [
      `--net=/run/netns/${rc.net.ns}`,
      "nft",
      "list",
      "table",
      "ip",
      "kube-proxy",
    ]).toString();
    assert.match(rules, new RegExp(`${API_SERVICE_IP.replace(/\./g, "\\.")} . tcp . 443`));
    assert.match(rules, new RegExp(`dnat to ${rc.net.hostIp.replace(/\./g, "\\.")}:${port}`));
    // The API server is bound to that address alone: not loopback, not any other address of this machine.
    assert.equal(new URL(rc.control.server).hostname, rc.net.hostIp);
    const others = Object.entries(networkInterfaces())
      .flatMap(([, addrs]) => addrs ?? [])
      .filter((a) => a.family === "IPv4" && a.address !== rc.net.hostIp)
      .map((a) => a.address);
    assert.ok(others.includes("127.0.0.1"), others.join(" "));
    for (const addr of others) assert.match(await hostProbe(addr, Number(port)), /^fail ECONNREFUSED/, addr);
  });
});
