// `query kes-period-info` against a node, as cardano-cli runs it: the current KES period from the node's tip, the
// KES period length and evolutions from the node's genesis (GetGenesisConfig; --shelley-genesis overrides), and
// the on-chain opcert counter of the certificate's pool from the protocol state (DebugChainDepState), compared
// with the certificate's own counter. The ledger accepts a header whose counter is the on-chain one (the
// certificate in use) or one more (a rotation's new certificate); anything else is refused, so that is the check.
// Prints cardano-cli's check lines, then its JSON (qKes… fields) or writes the JSON to --out-file.
import { writeFileSync } from "node:fs";
import { bytesToHex } from "../../crypto/bytes.ts";
import type { ShelleyGenesis } from "../../formats/genesis.ts";
import { type OperationalCertificate, poolIdOf } from "../../formats/opcert.ts";
import { SlotClock } from "../../formats/slot-clock.ts";
import type { Output } from "../command.ts";
import { genesisFromNode } from "../genesis-from-node.ts";
import { conwayQuery, withLocalNode } from "../local-node.ts";
import { praosState } from "./leadership-node.ts";
import { num } from "./query-node.ts";

/** The counter check: what cardano-cli's opCertNodeAndOnDiskCounterCheck decides, with which of the two it is. */
export function counterCheck(onDisk: number, onChain: number | null, certPath: string): string[] {
  if (onChain === null) return [`✗ No blocks minted so far with the operational certificate at: ${certPath}`];
  const counters = [`  On disk operational certificate counter: ${onDisk}`, `  Protocol state counter: ${onChain}`];
  if (onDisk === onChain || onDisk === onChain + 1)
    return [
      "✓ The operational certificate counter agrees with the node protocol state counter",
      `  On disk operational certificate counter: ${onDisk} (${onDisk === onChain ? "the on-chain counter: the certificate in use" : "one more than the on-chain counter: a new certificate, accepted from its first block"})`,
    ];
  if (onDisk < onChain)
    return [
      `✗ The protocol state counter is greater than the counter in the operational certificate at: ${certPath}`,
      ...counters,
    ];
  return [
    `✗ The operational certificate at: ${certPath} has an issue number that is too far ahead of the protocol state counter (more than one above it)`,
    ...counters,
  ];
}

export async function kesPeriodInfoFromNode(
  target: { path: string; magic: number },
  certPath: string,
  cert: OperationalCertificate,
  genesisFile: ShelleyGenesis | undefined,
  outFile: string | undefined,
  io: Output,
): Promise<number> {
  const [point, chainDep, genesisConfig] = await withLocalNode(target, (n) =>
    n.query([3], conwayQuery(13), conwayQuery(11)),
  );
  // Slots per KES period, max evolutions and the slot clock: the node's own genesis (GetGenesisConfig), as
  // cardano-cli reads them, unless --shelley-genesis overrides it.
  const genesis = genesisFile ?? genesisFromNode(genesisConfig!);
  const tipSlot = (point as unknown[]).length ? num((point as [number])[0]) : 0;
  const onChain = praosState(chainDep!).counters.get(bytesToHex(poolIdOf(cert.coldVkey))) ?? null;
  const perPeriod = genesis.slotsPerKESPeriod;
  const current = Math.floor(tipSlot / perPeriod);
  const start = cert.kesPeriod;
  const end = start + genesis.maxKESEvolutions;
  const within = start <= current && current < end;
  const lines: string[] = [];
  if (within) lines.push("✓ Operational certificate's KES period is within the correct KES period interval");
  else if (current < start)
    lines.push(
      `✗ Node operational certificate at: ${certPath} has an incorrectly specified starting KES period.`,
      `  Current KES period: ${current}`,
      `  Operational certificate's starting KES period: ${start}`,
    );
  else
    lines.push(
      `✗ Node operational certificate at: ${certPath} has expired.`,
      `  Current KES period: ${current}`,
      `  Operational certificate's ending KES period: ${end}`,
    );
  lines.push(...counterCheck(cert.sequenceNumber, onChain, certPath));
  const clock = new SlotClock(genesis);
  const expirySlot = end * perPeriod;
  const info = {
    qKesCurrentKesPeriod: current,
    qKesEndKesInterval: end,
    qKesKesKeyExpiry: within ? new Date(clock.timeOfSlot(expirySlot)).toISOString().replace(".000Z", "Z") : null,
    qKesMaxKESEvolutions: genesis.maxKESEvolutions,
    qKesNodeStateOperationalCertificateNumber: onChain,
    qKesOnDiskOperationalCertificateNumber: cert.sequenceNumber,
    qKesRemainingSlotsInKesPeriod: within ? expirySlot - tipSlot : null,
    qKesSlotsPerKesPeriod: perPeriod,
    qKesStartKesInterval: start,
  };
  for (const line of lines) io.out(line);
  const text = JSON.stringify(info, null, 4);
  if (outFile !== undefined) writeFileSync(outFile, `${text}\n`);
  else io.out(text);
  return 0;
}
