// The real-cluster tier names what a machine lacks before it starts anything (test/helpers/real-cluster-host.ts):
// checked here on this machine's own kernel config, and on that config with one option taken out.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { gunzipSync } from "node:zlib";
import { KERNEL_FEATURES, kernelMissing } from "../helpers/real-cluster-host.ts";

const base = [
  "# a kernel config in the format of /proc/config.gz",
  ...KERNEL_FEATURES.map(([option], i) => `${option}=${i % 2 ? "m" : "y"}`),
].join("\n");

describe("real-cluster kernel features", () => {
  it("finds nothing missing when every option is built in or a module", () => {
    assert.deepEqual(kernelMissing(base), []);
  });

  it("names an option that is not set, and what needs it", () => {
    const config = base.replace(/^CONFIG_VETH=.*$/m, "# CONFIG_VETH is not set");
    assert.deepEqual(kernelMissing(config), [
      "kernel option CONFIG_VETH (needed for the veth pair between the host and the node's namespace)",
    ]);
  });

  it("names an option that is absent altogether", () => {
    const config = base.replace(/^CONFIG_NFT_NUMGEN=.*\n?/m, "");
    assert.equal(kernelMissing(config).length, 1);
    assert.match(kernelMissing(config)[0]!, /^kernel option CONFIG_NFT_NUMGEN \(needed for kube-proxy/);
  });

  it("does not read a longer option's name as a shorter one", () => {
    const config = base.replace(/^CONFIG_BRIDGE=.*$/m, "CONFIG_BRIDGE_EBT_NFLOG=y");
    assert.match(kernelMissing(config).join("\n"), /CONFIG_BRIDGE \(/);
  });

  it("accepts this machine's kernel (the tier runs here)", () => {
    assert.deepEqual(kernelMissing(gunzipSync(readFileSync("/proc/config.gz")).toString()), []);
  });
});
