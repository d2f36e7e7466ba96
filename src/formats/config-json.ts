// cardano-node's config.json, the fields poolfleet reads, checked the way cardano-node checks them at start-up:
// the Shelley genesis it names must exist and hash (Blake2b-256 of the file's bytes) to the ShelleyGenesisHash it
// states. cardano-node refuses a config without that hash, and so does this: a node must not start on a genesis
// nobody vouched for (a typo'd or edited file would otherwise give a node of its own, silently forked network).
// Every problem is one InputError naming the file and the field.
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { bytesToHex } from "../crypto/bytes.ts";
import { InputError } from "./errors.ts";
import { JSON_LIMIT, readInputFile } from "./files.ts";
import { readShelleyGenesis, type ShelleyGenesis } from "./genesis.ts";

export interface NodeConfigFile {
  readonly path: string;
  /** The whole document, for fields not modelled here. */
  readonly document: Record<string, unknown>;
  readonly genesisPath: string;
  readonly genesis: ShelleyGenesis;
  /** TestConwayHardForkAtEpoch (0 when absent: devnets start in Conway). */
  readonly conwayFromEpoch: number;
}

const HASH = /^[0-9a-fA-F]{64}$/;

/** A value as it appears in the file, short enough for a one-line message. */
function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function readDocument(path: string): Record<string, unknown> {
  // Bounded, and refused when not a regular file (a FIFO or /dev/zero must not hang the node's start).
  const text = readInputFile(path, JSON_LIMIT).toString("utf8");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new InputError(path, "is not valid JSON (expected cardano-node's config.json)");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new InputError(path, `is ${shown(value)}, not a JSON object (expected cardano-node's config.json)`);
  return value as Record<string, unknown>;
}

/** Read config.json and the Shelley genesis it names; refuse a missing, malformed or mismatching genesis hash. */
export function readNodeConfig(path: string): NodeConfigFile {
  const document = readDocument(path);
  const field = (name: string, problem: string) => new InputError(path, `field "${name}": ${problem}`);
  const file = document.ShelleyGenesisFile;
  if (file === undefined) throw field("ShelleyGenesisFile", "is missing (the path of the Shelley genesis file)");
  if (typeof file !== "string" || file === "")
    throw field("ShelleyGenesisFile", `must be a file path, not ${shown(file)}`);
  const genesisPath = resolve(dirname(path), file);
  if (!existsSync(genesisPath)) throw field("ShelleyGenesisFile", `${genesisPath} does not exist`);
  const stated = document.ShelleyGenesisHash;
  if (stated === undefined)
    throw field(
      "ShelleyGenesisHash",
      `is missing; cardano-node requires it: set it to the Blake2b-256 of ${genesisPath} ` +
        "(poolfleet-cli genesis create writes it; b2sum -l 256 FILE prints it)",
    );
  if (typeof stated !== "string" || !HASH.test(stated))
    throw field("ShelleyGenesisHash", `must be a string of 64 hex digits, not ${shown(stated)}`);
  const genesis = readShelleyGenesis(genesisPath);
  const actual = bytesToHex(genesis.hash);
  if (stated.toLowerCase() !== actual)
    throw field("ShelleyGenesisHash", `${stated} does not match ${genesisPath}, whose hash is ${actual}`);
  const conway = document.TestConwayHardForkAtEpoch;
  if (conway !== undefined && !(typeof conway === "number" && Number.isInteger(conway) && conway >= 0))
    throw field("TestConwayHardForkAtEpoch", `must be a whole epoch number, not ${shown(conway)}`);
  return { path, document, genesisPath, genesis, conwayFromEpoch: conway ?? 0 };
}
