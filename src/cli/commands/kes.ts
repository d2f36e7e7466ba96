// `kes submit`: hand a certificate signed offline back to a KesRotation in Assisted mode. It checks the file against
// the rotation's open request first (the staged KES key, the period computed online, the counter it must carry), so
// a person who signed the wrong thing hears it at once and by name, then writes it as the Secret the operator waits
// for. The operator's gate checks it again, in full, before any pod sees it.
import { ApiException, CoreV1Api, CustomObjectsApi, KubeConfig, type V1ConfigMap } from "@kubernetes/client-node";
import { GROUP, VERSION } from "../../api/common.ts";
import { bytesToHex, equalBytes } from "../../crypto/bytes.ts";
import { parseEnvelope } from "../../formats/envelope.ts";
import { InputError } from "../../formats/errors.ts";
import { ENVELOPE_LIMIT, readInputFile } from "../../formats/files.ts";
import { KEY_KINDS, keyFromEnvelope } from "../../formats/keys.ts";
import { opcertFromEnvelope } from "../../formats/opcert.ts";
import { rotationNames, SIGNED_FILE } from "../../api/kesrotation-objects.ts";
import type { Command } from "../command.ts";

interface RotationObject {
  status?: { request?: { configMapName?: string; kesPeriod?: number; counter?: number } };
}

const notFound = (e: unknown) => e instanceof ApiException && e.code === 404;

export const kesSubmit: Command = {
  path: ["kes", "submit"],
  summary: "hand a certificate signed offline back to a KesRotation (Assisted mode)",
  flags: {
    rotation: { type: "string", required: true, value: "NAME", description: "the KesRotation" },
    namespace: { type: "string", value: "NS", description: "its namespace (default: the kubeconfig context's)" },
    "op-cert-file": {
      type: "string",
      required: true,
      value: "FILE",
      description: "the operational certificate made by issue-op-cert",
    },
    kubeconfig: { type: "string", value: "FILE", description: "kubeconfig (default: $KUBECONFIG or ~/.kube/config)" },
  },
  example: "poolfleet-cli kes submit --rotation pool1-kes --namespace pools --op-cert-file node.cert",
  async run(flags, io) {
    const name = flags.string("rotation");
    const certPath = flags.string("op-cert-file");
    const text = readInputFile(certPath, ENVELOPE_LIMIT).toString("utf8");
    const cert = opcertFromEnvelope(parseEnvelope(text, certPath), certPath);

    const kc = new KubeConfig();
    const file = flags.optionalString("kubeconfig");
    if (file) kc.loadFromFile(file);
    else kc.loadFromDefault();
    const ns = flags.optionalString("namespace") ?? kc.getContextObject(kc.getCurrentContext())?.namespace ?? "default";
    const where = `KesRotation ${ns}/${name}`;
    let rotation: RotationObject;
    try {
      rotation = (await kc.makeApiClient(CustomObjectsApi).getNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: ns,
        plural: "kesrotations",
        name,
      })) as RotationObject;
    } catch (e) {
      if (notFound(e)) throw new InputError(where, "does not exist (check --rotation and --namespace)");
      throw e;
    }
    const request = rotation.status?.request;
    if (!request?.configMapName || request.counter === undefined || request.kesPeriod === undefined)
      throw new InputError(where, "has no open opcert request: nothing is waiting for a certificate");
    const core = kc.makeApiClient(CoreV1Api);
    let cm: V1ConfigMap;
    try {
      cm = await core.readNamespacedConfigMap({ namespace: ns, name: request.configMapName });
    } catch (e) {
      if (notFound(e)) throw new InputError(where, `its request ConfigMap ${request.configMapName} does not exist`);
      throw e;
    }
    const vkeyText = cm.data?.["kes.vkey"];
    if (!vkeyText) throw new InputError(`ConfigMap ${ns}/${request.configMapName}`, "has no kes.vkey");
    const staged = keyFromEnvelope(
      parseEnvelope(vkeyText, "the request's kes.vkey"),
      "kes.vkey",
      KEY_KINDS.kesVerification,
    );

    const wrong: string[] = [];
    if (!equalBytes(cert.hotVkey, staged))
      wrong.push(
        `it certifies KES key ${bytesToHex(cert.hotVkey).slice(0, 16)}…, not the staged one ` +
          `${bytesToHex(staged).slice(0, 16)}… (sign the kes.vkey from the request ConfigMap)`,
      );
    if (cert.sequenceNumber !== request.counter)
      wrong.push(
        `its counter is ${cert.sequenceNumber}, the request needs ${request.counter} ` +
          `(node new-counter --counter-value ${request.counter}, then issue-op-cert again)`,
      );
    if (cert.kesPeriod !== request.kesPeriod)
      wrong.push(`its KES period is ${cert.kesPeriod}, the request says ${request.kesPeriod}`);
    if (wrong.length > 0) throw new InputError(certPath, `does not answer ${where}'s request: ${wrong.join("; ")}`);

    const secretName = rotationNames.signed(name);
    const body = {
      metadata: { name: secretName, namespace: ns, labels: { "app.kubernetes.io/part-of": "poolfleet" } },
      type: "Opaque",
      data: { [SIGNED_FILE]: Buffer.from(text).toString("base64") },
    };
    try {
      await core.createNamespacedSecret({ namespace: ns, body });
    } catch (e) {
      if (!(e instanceof ApiException && e.code === 409)) throw e;
      await core.replaceNamespacedSecret({ namespace: ns, name: secretName, body });
    }
    io.out(
      `submitted ${certPath} (counter ${cert.sequenceNumber}, KES period ${cert.kesPeriod}) as Secret ${ns}/${secretName}; ` +
        `the operator checks it and rolls the producer: kubectl -n ${ns} get kesrotation ${name} -w`,
    );
    return 0;
  },
};
