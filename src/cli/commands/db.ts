// `db verify`: a read-only check of a poolfleet-node chain database (src/storage/verify.ts), safe on a live node.
import { existsSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { praosRules } from "../../consensus/rules.ts";
import { bytesToHex } from "../../crypto/bytes.ts";
import { InputError } from "../../formats/errors.ts";
import { JSON_LIMIT, readInputFile } from "../../formats/files.ts";
import { readShelleyGenesis } from "../../formats/genesis.ts";
import { verifyChainDb, type VerifyOptions } from "../../storage/verify.ts";
import type { Command } from "../command.ts";

/** The header rules of the network a cardano-node config.json names (its Shelley genesis, hash checked). */
function headerRules(configPath: string): NonNullable<VerifyOptions["headers"]> {
  const bytes = readInputFile(configPath, JSON_LIMIT);
  let config: unknown;
  try {
    config = JSON.parse(bytes.toString("utf8"));
  } catch {
    throw new InputError(configPath, "is not valid JSON (expected cardano-node's config.json)");
  }
  if (!config || typeof config !== "object" || Array.isArray(config))
    throw new InputError(configPath, "is not a JSON object (expected cardano-node's config.json)");
  const c = config as Record<string, unknown>;
  if (typeof c.ShelleyGenesisFile !== "string") throw new InputError(configPath, 'has no "ShelleyGenesisFile"');
  const genesisPath = resolve(dirname(configPath), c.ShelleyGenesisFile);
  if (!existsSync(genesisPath)) throw new InputError(configPath, `ShelleyGenesisFile ${genesisPath} does not exist`);
  const genesis = readShelleyGenesis(genesisPath);
  const stated = c.ShelleyGenesisHash;
  if (stated !== undefined && stated !== bytesToHex(genesis.hash))
    throw new InputError(
      configPath,
      `ShelleyGenesisHash ${JSON.stringify(stated)} does not match ${genesisPath} (${bytesToHex(genesis.hash)})`,
    );
  const conway = typeof c.TestConwayHardForkAtEpoch === "number" ? c.TestConwayHardForkAtEpoch : 0;
  return { rules: praosRules(genesis, conway), genesisHash: genesis.hash };
}

export const dbVerify: Command = {
  path: ["db", "verify"],
  summary: "check a chain database read-only: checksums, hash links, index, headers (safe on a live node)",
  flags: {
    "database-path": { type: "string", required: true, value: "DIR", description: "the node's --database-path" },
    config: {
      type: "string",
      value: "FILE",
      description:
        "the network's config.json: also re-validate every header (KES, opcert, counters, VRF proof under the epoch " +
        "nonce) without the ledger; the pool's registered VRF key, its stake and the transactions are not checked",
    },
    "output-json": { type: "boolean", description: "print the report as JSON" },
  },
  example: "poolfleet-cli db verify --database-path db --config devnet/config.json",
  run(flags, io) {
    const dir = flags.string("database-path");
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new InputError(dir, "is not a directory");
    const configPath = flags.optionalString("config");
    const report = verifyChainDb(dir, configPath ? { headers: headerRules(configPath) } : {});
    if (flags.boolean("output-json")) {
      io.out(JSON.stringify({ databasePath: dir, sound: report.problems.length === 0, ...report }, null, 2));
      return report.problems.length === 0 ? 0 : 1;
    }
    for (const line of report.problems) io.out(`${dir}: ${line}`);
    for (const line of report.notes) io.err(`note: ${line}`);
    const tip = report.tip
      ? `tip block ${report.tip.blockNo} at slot ${report.tip.slot} (${report.tip.hash})`
      : "empty";
    const headers =
      report.headersValidated === null
        ? "headers not re-validated (no --config)"
        : `${report.headersValidated} headers re-validated`;
    if (report.problems.length > 0) {
      io.err(`poolfleet-cli: ${dir}: ${report.problems.length} problem(s) in ${report.blocks} records`);
      return 1;
    }
    io.out(`${dir}: sound: ${report.blocks} blocks, ${tip}; checksums, links and index intact; ${headers}`);
    return 0;
  },
};
