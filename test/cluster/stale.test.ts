// A test process killed with SIGKILL never runs its cluster's teardown: the next cluster's start removes what the
// dead one left (test/helpers/real-cluster-stale.ts). Here a child process starts a real cluster and is killed.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { mountsUnder, pidsMentioning } from "../helpers/real-cluster-host.ts";
import { type ClusterRecord, removeStaleClusters } from "../helpers/real-cluster-stale.ts";
import { realClusterSkip } from "../helpers/real-cluster.ts";

const CHILD = `
import { startRealCluster } from ${JSON.stringify(new URL("../helpers/real-cluster.ts", import.meta.url).href)};
const rc = await startRealCluster({ volumes: 1 });
console.log("UP " + JSON.stringify(rc.net));
setInterval(() => {}, 1 << 30);
`;

describe("a real cluster whose test process was killed", { timeout: 10 * 60_000, skip: realClusterSkip() }, () => {
  it("is removed by the next start: processes, namespace, link, cgroups, mounts, directory", async () => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", CHILD], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    const up = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no cluster in time:\n${err.slice(-3000)}`)), 5 * 60_000);
      child.stdout.on("data", () => {
        const line = out.split("\n").find((l) => l.startsWith("UP "));
        if (line) {
          clearTimeout(timer);
          resolve(line.slice(3));
        }
      });
      child.on("exit", (code) => reject(new Error(`child exited ${code}:\n${err.slice(-3000)}`)));
    });
    const net = JSON.parse(up) as ClusterRecord["net"];
    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));
    // What the dead cluster still holds: a live kubelet, its namespace and the host end of its veth.
    assert.ok(pidsMentioning(`--node-ip=${net.nodeIp}`).length > 0, "the kubelet outlives its test process");
    assert.ok(pidsMentioning(`--advertise-address=${net.hostIp}`).length > 0, "so does the API server");
    assert.ok(existsSync(`/run/netns/${net.ns}`));

    const removed = removeStaleClusters();
    assert.equal(removed.length, 1, `removed: ${removed.join(", ")}`);
    const dir = removed[0]!;
    assert.deepEqual(pidsMentioning(dir), []);
    assert.deepEqual(pidsMentioning(`--node-ip=${net.nodeIp}`), []);
    assert.equal(existsSync(`/run/netns/${net.ns}`), false);
    assert.equal(existsSync(`/sys/class/net/${net.hostIf}`), false);
    // and its control plane: the API server that advertised the host end of its veth, with its etcd
    assert.deepEqual(pidsMentioning(`--advertise-address=${net.hostIp}`), []);
    assert.deepEqual(mountsUnder(dir), []);
    assert.equal(existsSync(dir), false);
    const id = net.ns.replace(/^pf-rc-/, "");
    for (const h of ["memory", "pids", "cpu", "unified"])
      assert.equal(existsSync(`/sys/fs/cgroup/${h}/poolfleet-rc-${id}`), false);
    assert.equal(readFileSync("/proc/self/mountinfo", "utf8").includes(dir), false);
  });
});
