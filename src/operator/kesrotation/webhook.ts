// The reminder webhook: one bounded JSON POST. It never throws and never takes longer than its timeout, so a dead
// receiver cannot hold a reconcile; the caller records the outcome and tries again on the next reconcile. The URL
// may carry a token, so it appears in no result, message or log line: errors name the HTTP status or the kind of
// network failure only.

export interface WebhookReminder {
  kind: "KesRotationReminder";
  namespace: string;
  rotation: string;
  pool: string;
  /** The threshold crossed, in days before expiry. */
  thresholdDays: number;
  expiresAt: string;
  renewalTime: string;
  periodsLeft: number;
  counter: number;
  message: string;
}

export type WebhookOutcome = { ok: true } | { ok: false; error: string };

export const WEBHOOK_TIMEOUT_MS = 5_000;

export async function postWebhook(
  url: string,
  body: WebhookReminder,
  timeoutMs = WEBHOOK_TIMEOUT_MS,
): Promise<WebhookOutcome> {
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    return { ok: false, error: "the webhook URL in the Secret is not a URL" };
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    return { ok: false, error: `the webhook URL must be http or https, not ${parsed.protocol.replace(":", "")}` };
  }
  try {
    const res = await fetch(parsed, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
      redirect: "manual",
    });
    await res.body?.cancel();
    if (res.status >= 200 && res.status < 300) return { ok: true };
    return { ok: false, error: `the webhook answered HTTP ${res.status}` };
  } catch (e) {
    const err = e as Error & { cause?: { code?: string } };
    if (err.name === "TimeoutError" || err.name === "AbortError")
      return { ok: false, error: `the webhook did not answer within ${timeoutMs} ms` };
    return { ok: false, error: `the webhook could not be reached (${err.cause?.code ?? err.name})` };
  }
}
