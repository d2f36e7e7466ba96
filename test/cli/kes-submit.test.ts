// `poolfleet-cli kes submit` against a real kube-apiserver: a certificate that answers the KesRotation's open request
// becomes the `<rotation>-signed` Secret; one for another KES key, counter or period is refused by name and writes
// nothing; a rotation that does not exist, or has no request, and a file that is not a certificate are clear errors.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { CoreV1Api, CustomObjectsApi } from "@kubernetes/client-node";
import { GROUP, VERSION } from "../../src/api/common.ts";
import { encodeCbor } from "../../src/codec/cbor.ts";
import { renderEnvelope } from "../../src/formats/envelope.ts";
import { KEY_KINDS, OPCERT_TYPE } from "../../src/formats/keys.ts";
import { encodeOperationalCertificate, type OperationalCertificate } from "../../src/formats/opcert.ts";
import { runCli } from "../helpers/cli.ts";
import { type ControlPlane, installProjectCrds, startControlPlane } from "../helpers/envtest.ts";
import { issue, newKes, newPool } from "../helpers/keyset.ts";

const NS = "pools";
const dir = mkdtempSync(join(tmpdir(), "pf-kes-submit-"));
let cp: ControlPlane;
let kubeconfig: string;

const pool = newPool();
const staged = newKes();
const PERIOD = 7;
const COUNTER = 3;

function certFile(name: string, cert: OperationalCertificate): string {
  const path = join(dir, name);
  writeFileSync(path, renderEnvelope({ type: OPCERT_TYPE, description: "", cbor: encodeOperationalCertificate(cert) }));
  return path;
}

const submit = (args: string[]) => runCli(["kes", "submit", "--kubeconfig", kubeconfig, "--namespace", NS, ...args]);

const signedSecret = () =>
  cp.kc
    .makeApiClient(CoreV1Api)
    .readNamespacedSecret({ namespace: NS, name: "p-kes-signed" })
    .catch(() => undefined);

before(
  async () => {
    cp = await startControlPlane();
    await installProjectCrds(cp.kc);
    kubeconfig = join(dir, "kubeconfig");
    writeFileSync(kubeconfig, cp.kc.exportConfig(), { mode: 0o600 });
    const core = cp.kc.makeApiClient(CoreV1Api);
    const custom = cp.kc.makeApiClient(CustomObjectsApi);
    await core.createNamespace({ body: { metadata: { name: NS } } });
    const vkeyText = renderEnvelope({
      type: KEY_KINDS.kesVerification.type,
      description: KEY_KINDS.kesVerification.description,
      cbor: encodeCbor(staged.vkey),
    });
    await core.createNamespacedConfigMap({
      namespace: NS,
      body: { metadata: { name: "p-kes-opcert-request" }, data: { "kes.vkey": vkeyText } },
    });
    const ref = { group: GROUP, version: VERSION, namespace: NS, plural: "kesrotations" };
    for (const name of ["p-kes", "idle-kes"])
      await custom.createNamespacedCustomObject({
        ...ref,
        body: {
          apiVersion: `${GROUP}/${VERSION}`,
          kind: "KesRotation",
          metadata: { name, namespace: NS },
          spec: { poolRef: { name: "p" } },
        },
      });
    // The request the operator publishes (written here as the operator would, through the status subresource).
    const rotation = (await custom.getNamespacedCustomObject({ ...ref, name: "p-kes" })) as Record<string, unknown>;
    await custom.replaceNamespacedCustomObjectStatus({
      ...ref,
      name: "p-kes",
      body: {
        ...rotation,
        status: { request: { configMapName: "p-kes-opcert-request", kesPeriod: PERIOD, counter: COUNTER } },
      },
    });
  },
  { timeout: 10 * 60_000 },
);

after(async () => {
  await cp?.stop();
});

describe("poolfleet-cli kes submit", () => {
  test("refuses a certificate that does not answer the request, by name, and writes nothing", async () => {
    const cases: [string, OperationalCertificate, RegExp][] = [
      ["old-kes.cert", issue(pool, newKes().vkey, COUNTER, PERIOD), /not the staged one/],
      ["high.cert", issue(pool, staged.vkey, COUNTER + 1, PERIOD), /counter is 4, the request needs 3/],
      ["low.cert", issue(pool, staged.vkey, COUNTER - 1, PERIOD), /counter is 2, the request needs 3/],
      ["period.cert", issue(pool, staged.vkey, COUNTER, PERIOD + 1), /KES period is 8, the request says 7/],
    ];
    for (const [name, cert, why] of cases) {
      const r = await submit(["--rotation", "p-kes", "--op-cert-file", certFile(name, cert)]);
      assert.equal(r.code, 1, `${name}: ${r.stdout}`);
      assert.match(r.stderr, why, name);
      assert.doesNotMatch(r.stderr, /at .*\.ts:\d+/, "one line, no stack trace");
    }
    assert.equal(await signedSecret(), undefined);
  });

  test("clear errors for a missing rotation, a rotation with no request, and a file that is not a certificate", async () => {
    const good = certFile("good.cert", issue(pool, staged.vkey, COUNTER, PERIOD));
    const missing = await submit(["--rotation", "nope", "--op-cert-file", good]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /KesRotation pools\/nope: does not exist/);
    const idle = await submit(["--rotation", "idle-kes", "--op-cert-file", good]);
    assert.equal(idle.code, 1);
    assert.match(idle.stderr, /has no open opcert request/);
    const notCert = join(dir, "kes.vkey");
    writeFileSync(
      notCert,
      readFileSync(certFile("x.cert", issue(pool, staged.vkey, 0, 0)), "utf8").replace(
        OPCERT_TYPE,
        "KesVerificationKey_ed25519_kes_2^6",
      ),
    );
    const wrongType = await submit(["--rotation", "p-kes", "--op-cert-file", notCert]);
    assert.equal(wrongType.code, 1);
    assert.match(wrongType.stderr, new RegExp(`${notCert}: .*`));
    assert.equal(await signedSecret(), undefined);
  });

  test("a certificate that answers the request becomes the rotation's signed Secret", async () => {
    const path = certFile("node.cert", issue(pool, staged.vkey, COUNTER, PERIOD));
    const r = await submit(["--rotation", "p-kes", "--op-cert-file", path]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Secret pools\/p-kes-signed/);
    const secret = await signedSecret();
    assert.equal(Buffer.from(secret!.data!["node.cert"]!, "base64").toString(), readFileSync(path, "utf8"));
    // Submitting again (a corrected file) replaces it.
    const again = await submit(["--rotation", "p-kes", "--op-cert-file", path]);
    assert.equal(again.code, 0, again.stderr);
  });
});
