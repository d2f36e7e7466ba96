// The node image itself: the reference build.sh makes is the operator's default image, every package.json bin is
// on PATH, the preset networks load from where the operator points a preset pool (PATHS.presetNetworks), a relay on
// a preset runs with a read-only root filesystem, and SIGTERM (docker stop, a pod's termination) stops it cleanly.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { getContainerRuntimeClient, Network, type StartedNetwork } from "testcontainers";
import { DEFAULT_IMAGE, PRESET_NETWORKS } from "../../src/api/common.ts";
import { PATHS } from "../../src/operator/builders/producer.ts";
import { containerTier } from "../helpers/docker.ts";
import { getJson, type NodeContainer, startNodeContainer } from "../helpers/node-containers.ts";

const tier = await containerTier();
const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
  bin: Record<string, string>;
};
const constants = JSON.parse(
  readFileSync(new URL("../fixtures/genesis/network-constants.json", import.meta.url), "utf8"),
) as { shelley_genesis_files: Record<string, { blake2b256_of_file_bytes: string }> };

describe("node image", { skip: "skip" in tier && tier.skip }, () => {
  let network: StartedNetwork | undefined;
  let relay: NodeContainer;

  before(async () => {
    if (!("image" in tier)) return;
    network = await new Network().start();
    relay = await startNodeContainer({
      image: tier.image,
      name: "preview-relay",
      network,
      command: ["run", "--config", `${PATHS.presetNetworks}/preview/config.json`],
      mounts: {},
    });
  });

  after(async () => {
    await relay?.container.stop().catch(() => undefined);
    await network?.stop();
  });

  it("is the image the operator deploys by default", { skip: Boolean(process.env.POOLFLEET_NODE_IMAGE) }, () => {
    assert.equal("image" in tier && tier.image, DEFAULT_IMAGE);
  });

  it("has Node.js 24, and every package.json bin is on PATH and starts", async () => {
    const node = await relay.container.exec(["node", "--version"]);
    assert.match(node.output.trim(), /^v24\./);
    for (const [name, file] of Object.entries(pkg.bin)) {
      const r = await relay.container.exec(["sh", "-c", `readlink -f "$(command -v ${name})"`]);
      assert.equal(r.output.trim(), `/opt/poolfleet/app/${file.replace(/^\.\//, "")}`, name);
      // --help loads the program's modules: a production dependency missing from the image fails here.
      const help = await relay.container.exec([name, "--help"]);
      assert.equal(help.exitCode, 0, `${name} --help: ${help.output}`);
      assert.match(help.output, new RegExp(`^${name}\\b`, "m"), name);
    }
    const version = await relay.container.exec(["poolfleet-node", "--version"]);
    assert.equal(version.exitCode, 0, version.output);
  });

  it("ships the preset networks where the operator points a preset pool", async () => {
    // The image's own (compiled) loader reads each preset's config.json and checks the Shelley genesis hash it names.
    const script = [
      `import { loadNetwork } from "/opt/poolfleet/app/dist/node/config.js";`,
      `for (const n of ${JSON.stringify(PRESET_NETWORKS)})`,
      `  console.log(JSON.stringify({ n, ...loadNetwork("${PATHS.presetNetworks}/" + n + "/config.json").summary }));`,
    ].join("\n");
    const r = await relay.container.exec(["node", "--input-type=module", "-e", script]);
    assert.equal(r.exitCode, 0, r.output);
    const loaded = r.output
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { n: string; networkMagic: number; shelleyGenesisHash: string });
    assert.deepEqual(
      loaded.map((s) => [s.n, s.networkMagic, s.shelleyGenesisHash]),
      [
        ["mainnet", 764824073, constants.shelley_genesis_files.mainnet!.blake2b256_of_file_bytes],
        ["preprod", 1, constants.shelley_genesis_files.preprod!.blake2b256_of_file_bytes],
        ["preview", 2, constants.shelley_genesis_files.preview!.blake2b256_of_file_bytes],
      ],
    );
    const config = await getJson<{ network: { networkMagic: number }; databasePath: string }>(`${relay.http}/config`);
    assert.equal(config.network.networkMagic, 2, "the running relay is on preview");
    assert.equal(config.databasePath, PATHS.db, "the image's default database path is the operator's");
  });

  it("stops cleanly on SIGTERM, as docker stop and a pod's termination send it", async () => {
    const id = relay.container.getId();
    // testcontainers takes the grace period in milliseconds (Docker, in seconds).
    await relay.container.stop({ timeout: 30_000, remove: false });
    const client = await getContainerRuntimeClient();
    const container = client.container.getById(id);
    try {
      const state = (await client.container.inspect(container)).State;
      let log = "";
      for await (const chunk of await client.container.logs(container, { follow: false, tail: 20 }))
        log += String(chunk);
      assert.equal(state.ExitCode, 0, log);
      assert.match(log, /"signal":"SIGTERM".*\n.*stopped cleanly/);
    } finally {
      await client.container.remove(container, { removeVolumes: true });
    }
  });
});
