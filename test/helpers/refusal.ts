// What the API server said when it refused a request made through client-node.
import assert from "node:assert/strict";
import { ApiException } from "@kubernetes/client-node";

/** Awaits `p`, which must fail with an API error: its status code and the message a person reads. */
export async function refusal(p: Promise<unknown>): Promise<{ code: number; message: string }> {
  try {
    await p;
  } catch (e) {
    if (!(e instanceof ApiException)) throw e;
    const b = typeof e.body === "string" ? JSON.parse(e.body) : e.body;
    return { code: e.code, message: String(b?.message ?? e.message) };
  }
  assert.fail("the API server accepted it");
}
