// A last line of defence for key material: every Secret the operator reads registers its values here, and
// everything the operator writes for people (Events, status, log lines, error messages) passes through scrub(),
// which replaces any registered value, in any of the spellings it could leak in (base64 as stored, the raw text,
// hex of the bytes, and the cborHex inside a cardano-cli text envelope), with "[redacted]". The controllers
// already keep secret bytes out of what they write; this catches the mistake nobody has made yet.

/** Shorter strings are too likely to occur by chance (and too short to be key material). */
const MIN_LENGTH = 16;
const MAX_VALUES = 20_000;

export class SecretRedactor {
  private readonly values = new Set<string>();

  /** Registers the data of a Secret as the API server returns it (base64 values). */
  registerSecretData(data: Record<string, string> | undefined): void {
    for (const b64 of Object.values(data ?? {})) {
      const bytes = Buffer.from(b64, "base64");
      this.add(b64);
      this.add(bytes.toString("hex"));
      const text = bytes.toString("utf8");
      this.add(text.trim());
      try {
        const envelope = JSON.parse(text) as { cborHex?: unknown };
        if (typeof envelope.cborHex === "string") {
          this.add(envelope.cborHex);
          this.add(envelope.cborHex.toLowerCase());
          this.add(envelope.cborHex.toUpperCase());
        }
      } catch {
        // not a text envelope
      }
    }
  }

  private add(value: string): void {
    if (value.length < MIN_LENGTH) return;
    if (this.values.size >= MAX_VALUES) this.values.delete(this.values.values().next().value!);
    this.values.add(value);
  }

  scrub(text: string): string {
    if (text.length < MIN_LENGTH || this.values.size === 0) return text;
    let out = text;
    for (const v of this.values) if (out.includes(v)) out = out.split(v).join("[redacted]");
    return out;
  }

  /** Scrubs every string inside a JSON-shaped value. */
  scrubDeep<T>(value: T): T {
    if (this.values.size === 0) return value;
    const json = JSON.stringify(value);
    if (json === undefined) return value;
    const scrubbed = this.scrub(json);
    return scrubbed === json ? value : (JSON.parse(scrubbed) as T);
  }
}
