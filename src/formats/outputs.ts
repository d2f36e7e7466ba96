// The files a command writes, as text envelopes, all or none (files.ts), under one rule for what may be
// replaced: only a text envelope of the same type that is not a signing key. So a mistyped --out-file can never
// turn cold.skey into a certificate or the counter into something else, and a signing key is never overwritten.
import { renderEnvelope, readEnvelopeFile, type TextEnvelope } from "./envelope.ts";
import { InputError } from "./errors.ts";
import { type OutputFile, writeFilesAtomic } from "./files.ts";
import { describeEnvelopeType, isSigningKeyType, type KeyKind, keyEnvelope } from "./keys.ts";
import { counterEnvelope, type IssueCounter, type OperationalCertificate, opcertEnvelope } from "./opcert.ts";

export interface EnvelopeOutput {
  readonly path: string;
  readonly envelope: TextEnvelope;
  readonly mode: number;
  /** May replace an existing envelope of the same type (never a signing key); otherwise the path must be free. */
  readonly replace: boolean;
}

const refuse = (path: string, what: string, writing: string) =>
  new InputError(path, `already exists and is ${what}; refusing to overwrite it with ${writing}`);

/** The check for `replace`: what is at `path` must be an envelope of `type`, and not a signing key. */
function sameKindOnly(type: string): (path: string) => void {
  const writing = describeEnvelopeType(type);
  return (path) => {
    const named = /\.skey$/i.test(path);
    let existing: TextEnvelope;
    try {
      existing = readEnvelopeFile(path);
    } catch (error) {
      if (named) throw refuse(path, "named as a signing key (.skey)", writing);
      const problem = error instanceof InputError ? error.problem : "unreadable";
      throw new InputError(path, `already exists and cannot be checked (${problem}); refusing to overwrite it`);
    }
    if (isSigningKeyType(existing.type) || existing.type !== type) {
      throw refuse(path, describeEnvelopeType(existing.type), writing);
    }
    if (named) throw refuse(path, "named as a signing key (.skey)", writing);
  };
}

export function writeEnvelopes(outputs: readonly EnvelopeOutput[]): void {
  writeFilesAtomic(
    outputs.map((o): OutputFile => ({
      path: o.path,
      contents: renderEnvelope(o.envelope),
      mode: o.mode,
      ...(o.replace && { mayReplace: sameKindOnly(o.envelope.type) }),
    })),
  );
}

/** A new key file (mode 0600 when secret); the path must be free. */
export function keyOutput(path: string, kind: KeyKind, bytes: Uint8Array): EnvelopeOutput {
  return { path, envelope: keyEnvelope(kind, bytes), mode: kind.secret ? 0o600 : 0o644, replace: false };
}

export function counterOutput(path: string, counter: IssueCounter, replace: boolean): EnvelopeOutput {
  return { path, envelope: counterEnvelope(counter), mode: 0o644, replace };
}

export function opcertOutput(path: string, cert: OperationalCertificate, replace: boolean): EnvelopeOutput {
  return { path, envelope: opcertEnvelope(cert), mode: 0o644, replace };
}
