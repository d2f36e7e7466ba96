// `keys check`: the consistency gate over a producer's key files, one line per check, exit 0 only if all pass.
import { readShelleyGenesis } from "../../formats/genesis.ts";
import { KEY_KINDS, readKeyFile } from "../../formats/keys.ts";
import { checkKeySet, keySetPasses, type CheckResult } from "../../keys/consistency.ts";
import { readIssueCounter, readOperationalCertificate } from "../../formats/opcert.ts";
import { SlotClock } from "../../formats/slot-clock.ts";
import type { Command } from "../command.ts";
import { parseTime } from "./time.ts";

const MARK: Record<CheckResult["status"], string> = { pass: "PASS", fail: "FAIL", skip: "SKIP" };

export const keysCheck: Command = {
  path: ["keys", "check"],
  summary: "check that a producer's KES key, operational certificate, VRF key and counter belong together",
  flags: {
    "shelley-kes-key": {
      type: "string",
      required: true,
      value: "FILE",
      description: "the KES signing key the producer uses",
    },
    "shelley-operational-certificate": {
      type: "string",
      required: true,
      value: "FILE",
      description: "the operational certificate the producer uses",
    },
    "shelley-vrf-key": { type: "string", value: "FILE", description: "the VRF signing key the producer uses" },
    "cold-verification-key-file": { type: "string", value: "FILE", description: "the pool's cold verification key" },
    "operational-certificate-issue-counter-file": {
      type: "string",
      value: "FILE",
      description: "the cold key's issue counter",
    },
    "shelley-genesis": {
      type: "string",
      value: "FILE",
      description: "the network's Shelley genesis (checks the KES window)",
    },
    at: { type: "string", value: "RFC3339", description: "check the KES window at this time instead of now" },
    "output-json": { type: "boolean", description: "print the results as JSON" },
  },
  example:
    "poolfleet-cli keys check --shelley-kes-key kes.skey --shelley-operational-certificate node.cert --shelley-vrf-key vrf.skey --cold-verification-key-file cold.vkey --operational-certificate-issue-counter-file cold.counter --shelley-genesis shelley-genesis.json",
  run(flags, io) {
    const kesPath = flags.string("shelley-kes-key");
    const certPath = flags.string("shelley-operational-certificate");
    const vrfPath = flags.optionalString("shelley-vrf-key");
    const coldPath = flags.optionalString("cold-verification-key-file");
    const counterPath = flags.optionalString("operational-certificate-issue-counter-file");
    const genesisPath = flags.optionalString("shelley-genesis");
    const at = parseTime(flags.optionalString("at"), "--at");
    const results = checkKeySet({
      kesSigningKey: { bytes: readKeyFile(kesPath, KEY_KINDS.kesSigning), name: kesPath },
      opcert: { cert: readOperationalCertificate(certPath), name: certPath },
      ...(vrfPath && { vrfSigningKey: { bytes: readKeyFile(vrfPath, KEY_KINDS.vrfSigning), name: vrfPath } }),
      ...(coldPath && {
        coldVerificationKey: { bytes: readKeyFile(coldPath, KEY_KINDS.coldVerification), name: coldPath },
      }),
      ...(counterPath && { counter: { counter: readIssueCounter(counterPath), name: counterPath } }),
      ...(genesisPath && { clock: new SlotClock(readShelleyGenesis(genesisPath)) }),
      at,
    });
    const ok = keySetPasses(results);
    if (flags.boolean("output-json")) {
      io.out(JSON.stringify({ consistent: ok, checks: results }, null, 2));
    } else {
      for (const r of results) io.out(`${MARK[r.status]}  ${r.message}`);
      const failed = results.filter((r) => r.status === "fail").length;
      io.out(ok ? "key set is consistent" : `key set is NOT consistent: ${failed} check(s) failed — do not deploy it`);
    }
    return ok ? 0 : 1;
  },
};
