// poolfleet-cli: cardano-cli-compatible key and certificate commands, the key-consistency gate, and queries.
import { readFileSync } from "node:fs";
import { InputError } from "../formats/errors.ts";
import { type Command, type Output, parseFlags, usage } from "./command.ts";
import { dbVerify } from "./commands/db.ts";
import { demo } from "./commands/demo.ts";
import { devnetDown, devnetRotateKes, devnetStatusCommand, devnetStopNode, devnetUp } from "./commands/devnet.ts";
import { genesisCreate } from "./commands/genesis.ts";
import { kesSubmit } from "./commands/kes.ts";
import { kesSign, kesStage } from "./commands/kes-job.ts";
import { keysCheck } from "./commands/keys.ts";
import { nodeIssueOpCert, nodeKeyGen, nodeKeyGenKes, nodeKeyGenVrf, nodeNewCounter } from "./commands/node.ts";
import { queryKesPeriodInfo, queryLeadershipSchedule } from "./commands/query.ts";
import {
  queryProtocolParameters,
  queryStakePools,
  queryStakeSnapshot,
  queryTip,
  queryTxMempoolInfo,
  queryTxMempoolNextTx,
  queryTxMempoolTxExists,
  queryUtxo,
} from "./commands/query-node.ts";
import { queryPoolParams, queryPoolState, queryStakeDistribution } from "./commands/query-pool.ts";
import { queryCommitteeState, queryConstitution, queryDRepState, queryTreasury } from "./commands/query-gov.ts";

export const COMMANDS: readonly Command[] = [
  nodeKeyGen,
  nodeKeyGenKes,
  nodeKeyGenVrf,
  nodeNewCounter,
  nodeIssueOpCert,
  queryKesPeriodInfo,
  queryLeadershipSchedule,
  queryTip,
  queryProtocolParameters,
  queryUtxo,
  queryStakePools,
  queryStakeSnapshot,
  queryStakeDistribution,
  queryPoolState,
  queryPoolParams,
  queryDRepState,
  queryTreasury,
  queryCommitteeState,
  queryConstitution,
  queryTxMempoolInfo,
  queryTxMempoolNextTx,
  queryTxMempoolTxExists,
  keysCheck,
  genesisCreate,
  devnetUp,
  devnetStatusCommand,
  devnetDown,
  devnetRotateKes,
  devnetStopNode,
  kesSubmit,
  kesStage,
  kesSign,
  dbVerify,
  demo(main),
];

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}

function overview(prefix: readonly string[] = []): string {
  const listed = COMMANDS.filter((c) => prefix.every((w, i) => c.path[i] === w));
  const width = Math.max(...listed.map((c) => c.path.join(" ").length)) + 3;
  return [
    "poolfleet-cli — stake pool keys, operational certificates and checks (cardano-cli compatible)",
    "",
    "Commands:",
    ...listed.map((c) => `  ${c.path.join(" ").padEnd(width)}${c.summary}`),
    "",
    "Run poolfleet-cli <command> --help for its flags and an example.",
  ].join("\n");
}

export async function main(argv: readonly string[], io: Output): Promise<number> {
  const words = argv.filter((a) => !a.startsWith("-"));
  if (argv.length === 0 || argv[0] === "--help" || argv[0] === "-h" || argv[0] === "help") {
    io.out(overview());
    return 0;
  }
  if (argv[0] === "--version" || argv[0] === "version") {
    io.out(`poolfleet-cli ${version()}`);
    return 0;
  }
  const command = COMMANDS.find((c) => c.path.every((w, i) => argv[i] === w));
  if (!command) {
    const group = COMMANDS.some((c) => c.path[0] === words[0]) ? [words[0]!] : [];
    if (group.length > 0 && (argv.length === 1 || argv.includes("--help"))) {
      io.out(overview(group));
      return argv.includes("--help") ? 0 : 1;
    }
    io.err(`poolfleet-cli: unknown command "${words.slice(0, 2).join(" ")}" (run poolfleet-cli --help)`);
    return 1;
  }
  const rest = argv.slice(command.path.length);
  if (rest.includes("--help") || rest.includes("-h")) {
    io.out(usage(command));
    return 0;
  }
  try {
    return await command.run(parseFlags(command, [...rest]), io);
  } catch (error) {
    if (error instanceof InputError) {
      io.err(`poolfleet-cli: ${error.message}`);
      return 1;
    }
    const detail = process.env.POOLFLEET_DEBUG ? `\n${(error as Error).stack}` : "";
    io.err(`poolfleet-cli: internal error: ${(error as Error).message}${detail}`);
    return 1;
  }
}

export function processOutput(): Output {
  return {
    out: (line) => void process.stdout.write(`${line}\n`),
    err: (line) => void process.stderr.write(`${line}\n`),
    stderrIsTTY: Boolean(process.stderr.isTTY),
    progress(text) {
      if (process.stderr.isTTY) process.stderr.write(`\r\x1b[2K${text}`);
    },
  };
}
