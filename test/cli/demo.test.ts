// README's main command (npm start runs `poolfleet-cli demo`) must stay true: it walks the key life, shows
// the gate refusing the seeds/003 pair, and ends with a producer that forged blocks.
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { it } from "node:test";
import { runCli } from "../helpers/cli.ts";

it("poolfleet-cli demo runs end to end and the producer forges", async () => {
  const r = await runCli(["demo", "--dir", join(mkdtempSync(join(tmpdir(), "pf-demo-")), "demo")]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /key set is NOT consistent: 1 check\(s\) failed/);
  assert.equal((r.stdout.match(/^key set is consistent$/gm) ?? []).length, 2);
  const last = [...r.stdout.matchAll(/blocks forged (\d+)/g)].at(-1);
  assert.ok(last && Number(last[1]) > 0, "the devnet producer forged blocks");
});
