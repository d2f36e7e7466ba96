// `kes stage` and `kes sign`: what a KesRotation's Jobs run in the node image (src/operator/kesrotation/build-jobs.ts),
// so that the new KES key is generated, and the cold key read, in a short-lived pod and never in the operator.
// Both create their Secret through the API with the pod's service-account credentials and never replace one that
// exists: a retried pod, or a Job started again after an operator restart, makes no second key and signs nothing
// twice. Their ServiceAccount may only create Secrets, so "it exists" is learned from the 409, not from a read.
// Nothing here prints key bytes: stderr becomes the pod's termination message, which the operator shows.
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { ApiException, CoreV1Api, KubeConfig, type V1Secret } from "@kubernetes/client-node";
import { API_VERSION } from "../../api/common.ts";
import { parseEnvelope, renderEnvelope } from "../../formats/envelope.ts";
import { InputError } from "../../formats/errors.ts";
import { ENVELOPE_LIMIT, readInputFile } from "../../formats/files.ts";
import { KEY_KINDS, keyFromEnvelope, OPCERT_TYPE } from "../../formats/keys.ts";
import { keyHash } from "../../keys/consistency.ts";
import { encodeOperationalCertificate, issueOperationalCertificate } from "../../formats/opcert.ts";
import { STAGED_FILES } from "../../api/kesrotation-objects.ts";
import type { Owner } from "../../api/owner.ts";
import { buildSignedSecret, buildStagedKesSecret } from "../kes-job-secrets.ts";
import { parseNatural, type Command, type Flags } from "../command.ts";

/**
 * The API client of a Job's pod: the in-cluster service-account credentials (client-node's loadFromDefault finds
 * them). POOLFLEET_IN_CLUSTER_PREFIX is a test seam only: the stand-in kubelet of the operator tests runs this
 * command as a local process and writes the token, ca.crt and namespace under that prefix instead of
 * /var/run/secrets/kubernetes.io/serviceaccount (test/helpers/job-standin.ts).
 */
export function podKubeConfig(env: NodeJS.ProcessEnv = process.env): KubeConfig {
  const kc = new KubeConfig();
  const prefix = env.POOLFLEET_IN_CLUSTER_PREFIX;
  if (prefix) kc.loadFromCluster(prefix);
  else kc.loadFromDefault();
  return kc;
}

/** Creates the Secret unless one of that name exists (then keeps it); true when this call created it. */
async function createOrKeep(kc: KubeConfig, body: V1Secret): Promise<boolean> {
  const namespace = body.metadata!.namespace!;
  try {
    await kc.makeApiClient(CoreV1Api).createNamespacedSecret({ namespace, body });
    return true;
  } catch (e) {
    if (e instanceof ApiException && e.code === 409) return false;
    if (e instanceof ApiException) {
      // The Status message names the verb, resource and identity; it never echoes the Secret's data.
      const b = typeof e.body === "string" ? safeJson(e.body) : e.body;
      throw new InputError(
        `Secret ${namespace}/${body.metadata!.name}`,
        `cannot be created: ${e.code} ${b?.message ?? ""}`,
      );
    }
    throw e;
  }
}

function safeJson(s: string): { message?: string } | undefined {
  try {
    return JSON.parse(s) as { message?: string };
  } catch {
    return undefined;
  }
}

const ownerFlags = {
  namespace: { type: "string", required: true, value: "NS", description: "the KesRotation's namespace" },
  rotation: { type: "string", required: true, value: "NAME", description: "the KesRotation (owns the Secret)" },
  "rotation-uid": { type: "string", required: true, value: "UID", description: "its metadata.uid" },
  pool: { type: "string", required: true, value: "NAME", description: "the StakePool (a label)" },
} as const;

function ownerOf(flags: Flags): Owner {
  return {
    apiVersion: API_VERSION,
    kind: "KesRotation",
    name: flags.string("rotation"),
    namespace: flags.string("namespace"),
    uid: flags.string("rotation-uid"),
  };
}

export const kesStage: Command = {
  path: ["kes", "stage"],
  summary: "generate a new KES key into a rotation's staged Secret (run by the operator's staging Job)",
  flags: {
    ...ownerFlags,
    counter: { type: "string", required: true, value: "N", description: "the issue counter the rotation is for" },
  },
  example:
    "poolfleet-cli kes stage --namespace pools --rotation pool1-kes --rotation-uid 0b1c... --pool pool1 --counter 4",
  async run(flags, io) {
    const owner = ownerOf(flags);
    const seed = Uint8Array.from(randomBytes(32));
    let secret: V1Secret;
    try {
      secret = buildStagedKesSecret(owner, flags.string("pool"), flags.natural("counter"), seed);
    } finally {
      seed.fill(0);
    }
    const name = `${owner.namespace}/${secret.metadata!.name}`;
    const vkeyText = Buffer.from(secret.data![STAGED_FILES.kesVkey]!, "base64").toString("utf8");
    const hash = keyHash(keyFromEnvelope(parseEnvelope(vkeyText, "kes.vkey"), "kes.vkey", KEY_KINDS.kesVerification));
    if (await createOrKeep(podKubeConfig(), secret)) io.out(`created Secret ${name} (new KES key ${hash})`);
    else io.out(`Secret ${name} already exists: kept it, no second key was made`);
    return 0;
  },
};

function readRequestFile(dir: string, file: string): string {
  try {
    return readInputFile(join(dir, file), ENVELOPE_LIMIT).toString("utf8");
  } catch (error) {
    throw new InputError(`the request's ${file} (${dir})`, (error as InputError).problem);
  }
}

export const kesSign: Command = {
  path: ["kes", "sign"],
  summary: "sign a rotation's opcert request with a mounted cold key (run by the operator's Auto signing Job)",
  flags: {
    ...ownerFlags,
    "request-dir": {
      type: "string",
      required: true,
      value: "DIR",
      description: "the mounted request ConfigMap (kes.vkey, kesPeriod, counter)",
    },
    "cold-signing-key-file": { type: "string", required: true, value: "FILE", description: "the cold signing key" },
    "cold-key-source": {
      type: "string",
      value: "TEXT",
      description: "where the key file comes from, for messages (e.g. Secret pool1-cold, key cold.skey)",
    },
  },
  example:
    "poolfleet-cli kes sign --namespace pools --rotation pool1-kes --rotation-uid 0b1c... --pool pool1 " +
    "--request-dir /var/run/poolfleet/request --cold-signing-key-file /var/run/poolfleet/cold/cold.skey",
  async run(flags, io) {
    const owner = ownerOf(flags);
    const dir = flags.string("request-dir");
    const counter = parseNatural(readRequestFile(dir, "counter"), `the request's counter (${dir})`);
    const kesPeriod = parseNatural(readRequestFile(dir, "kesPeriod"), `the request's kesPeriod (${dir})`);
    const kesVkey = keyFromEnvelope(
      parseEnvelope(readRequestFile(dir, "kes.vkey"), "the request's kes.vkey"),
      "the request's kes.vkey",
      KEY_KINDS.kesVerification,
    );
    const file = flags.string("cold-signing-key-file");
    const source = flags.optionalString("cold-key-source") ?? file;
    let text: string;
    try {
      text = readInputFile(file, ENVELOPE_LIMIT).toString("utf8");
    } catch (error) {
      if ((error as InputError).problem !== "file not found")
        throw new InputError(source, (error as InputError).problem);
      throw new InputError(
        source,
        "does not exist (the Secret or that key is missing): create it, or fix spec.auto.coldKeySecretRef",
      );
    }
    let seed: Uint8Array;
    try {
      seed = keyFromEnvelope(parseEnvelope(text, source), source, KEY_KINDS.coldSigning);
    } catch {
      // Not the inner message: whatever the file holds is not repeated anywhere.
      throw new InputError(source, "is not a cold signing key text envelope (type StakePoolSigningKey_ed25519)");
    }
    let certText: string;
    try {
      const cert = issueOperationalCertificate(seed, kesVkey, counter, kesPeriod);
      certText = renderEnvelope({ type: OPCERT_TYPE, description: "", cbor: encodeOperationalCertificate(cert) });
    } finally {
      seed.fill(0);
    }
    const secret = buildSignedSecret(owner, flags.string("pool"), certText);
    const name = `${owner.namespace}/${secret.metadata!.name}`;
    if (await createOrKeep(podKubeConfig(), secret))
      io.out(`created Secret ${name} (issue number ${counter}, KES period ${kesPeriod}, KES key ${keyHash(kesVkey)})`);
    else io.out(`Secret ${name} already exists: kept it, nothing was signed into it`);
    return 0;
  },
};
