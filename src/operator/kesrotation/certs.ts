// Reading the public files a rotation handles (the running and handed-back certificates, the staged KES key's
// public half, the pool's cold key), each failure a Stop naming the object and key. No secret byte is decoded here.
import { createHash } from "node:crypto";
import type { V1Secret } from "@kubernetes/client-node";
import type { StakePoolSpec } from "../../api/stakepool.ts";
import { SIGNED_FILE, STAGED_FILES } from "../../api/kesrotation-objects.ts";
import { parseEnvelope } from "../../formats/envelope.ts";
import { KEY_KINDS, keyFromEnvelope } from "../../formats/keys.ts";
import { type OperationalCertificate, opcertFromEnvelope } from "../../formats/opcert.ts";
import { coldKeyConfigMap } from "../keys/cold-key.ts";
import type { ReconcileContext } from "../manager/context.ts";
import { Stop } from "./tracked.ts";

export const b64 = (s: string) => Buffer.from(s).toString("base64");
export const unb64 = (s: string) => Buffer.from(s, "base64").toString("utf8");
export const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

export function certIn(data: Record<string, string> | undefined, where: string): OperationalCertificate {
  const b = data?.[SIGNED_FILE];
  if (b === undefined) throw new Stop("CertificateMissing", `${where} has no ${SIGNED_FILE}`);
  try {
    return opcertFromEnvelope(parseEnvelope(unb64(b), where), where);
  } catch (e) {
    throw new Stop("CertificateUnreadable", (e as Error).message);
  }
}

export function kesVkeyIn(staged: V1Secret, where: string): { bytes: Uint8Array; text: string } {
  const text = unb64(staged.data?.[STAGED_FILES.kesVkey] ?? "");
  try {
    return { bytes: keyFromEnvelope(parseEnvelope(text, where), where, KEY_KINDS.kesVerification), text };
  } catch (e) {
    throw new Stop("StagedKeyUnreadable", (e as Error).message);
  }
}

/** The pool's cold verification key: its ConfigMap when the StakePool names one, else the running certificate's. */
export function coldKeyOf(
  ctx: ReconcileContext,
  ns: string,
  spec: Pick<StakePoolSpec, "keys">,
  running: OperationalCertificate,
) {
  const cold = coldKeyConfigMap(ctx, ns, spec.keys);
  if (cold.kind === "none") return { bytes: running.coldVkey, name: "the cold key of the running certificate" };
  if (cold.kind === "missing") throw new Stop("ColdKeyNotFound", cold.message);
  try {
    return {
      bytes: keyFromEnvelope(parseEnvelope(cold.text, cold.where), cold.where, KEY_KINDS.coldVerification),
      name: cold.where,
    };
  } catch (e) {
    throw new Stop("ColdKeyUnreadable", (e as Error).message);
  }
}
