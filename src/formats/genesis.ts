// Shelley genesis: the consensus parameters poolfleet needs, read exactly (decimals kept as rationals from
// the file's own text), and the file's hash (Blake2b-256 of its raw bytes, the config's ShelleyGenesisHash).
import { z } from "zod";
import { blake2b256 } from "../crypto/hash.ts";
import { parseRational, type Rational } from "../crypto/rational.ts";
import { InputError } from "./errors.ts";
import { JSON_LIMIT, readInputFile } from "./files.ts";

export interface ShelleyGenesis {
  readonly systemStart: Date;
  readonly networkMagic: number;
  readonly networkId: "Mainnet" | "Testnet";
  readonly activeSlotsCoeff: Rational;
  readonly securityParam: number;
  readonly epochLength: number;
  /** Slot length in milliseconds (the file says seconds; 0.2 s is 200 ms). */
  readonly slotLengthMs: number;
  readonly slotsPerKESPeriod: number;
  readonly maxKESEvolutions: number;
  /** Blake2b-256 of the file bytes. */
  readonly hash: Uint8Array;
  /** The whole document, for fields not modelled here. */
  readonly document: Record<string, unknown>;
  /** A number anywhere in the document, exactly as its text says (e.g. protocolParams.rho), or undefined. */
  exactNumber(path: readonly string[]): Rational | undefined;
}

const positiveInt = z.number().int().positive();
const schema = z.object({
  systemStart: z
    .string()
    .refine((s) => !Number.isNaN(Date.parse(s)), "must be an ISO-8601 time such as 2022-10-25T00:00:00Z"),
  networkMagic: z.number().int().nonnegative(),
  networkId: z.enum(["Mainnet", "Testnet"]),
  activeSlotsCoeff: z.number().positive().max(1),
  securityParam: positiveInt,
  epochLength: positiveInt,
  slotLength: z.number().positive(),
  slotsPerKESPeriod: positiveInt,
  maxKESEvolutions: positiveInt,
});

/** Parse JSON keeping the source text of every number, so 0.05 stays exactly 1/20. */
function parseJsonWithNumberText(text: string): {
  value: unknown;
  numberText: Map<string, string>;
  byHolder: WeakMap<object, Map<string, string>>;
} {
  const byHolder = new WeakMap<object, Map<string, string>>();
  const value: unknown = JSON.parse(text, function (
    this: object,
    key: string,
    v: unknown,
    context?: { source?: string },
  ) {
    if (typeof v === "number" && context?.source !== undefined) {
      let texts = byHolder.get(this);
      if (!texts) byHolder.set(this, (texts = new Map()));
      texts.set(key, context.source);
    }
    return v;
  } as Parameters<typeof JSON.parse>[1]);
  const root = typeof value === "object" && value !== null ? byHolder.get(value) : undefined;
  return { value, numberText: root ?? new Map(), byHolder };
}

export function parseShelleyGenesis(bytes: Uint8Array, where: string): ShelleyGenesis {
  let parsed: ReturnType<typeof parseJsonWithNumberText>;
  try {
    parsed = parseJsonWithNumberText(Buffer.from(bytes).toString("utf8"));
  } catch {
    throw new InputError(where, "is not valid JSON (expected a Shelley genesis file)");
  }
  const result = schema.safeParse(parsed.value);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const field = issue.path.join(".") || "(top level)";
    throw new InputError(where, `Shelley genesis field "${field}": ${issue.message}`);
  }
  const g = result.data;
  const exact = (key: string, fallback: number): Rational => parseRational(parsed.numberText.get(key) ?? `${fallback}`);
  const slotLengthMs = exact("slotLength", g.slotLength);
  const ms = (slotLengthMs.num * 1000n) / slotLengthMs.den;
  if ((slotLengthMs.num * 1000n) % slotLengthMs.den !== 0n) {
    throw new InputError(
      where,
      `Shelley genesis field "slotLength": ${g.slotLength} s is not a whole number of milliseconds`,
    );
  }
  const f = exact("activeSlotsCoeff", g.activeSlotsCoeff);
  return {
    systemStart: new Date(g.systemStart),
    networkMagic: g.networkMagic,
    networkId: g.networkId,
    activeSlotsCoeff: f,
    securityParam: g.securityParam,
    epochLength: g.epochLength,
    slotLengthMs: Number(ms),
    slotsPerKESPeriod: g.slotsPerKESPeriod,
    maxKESEvolutions: g.maxKESEvolutions,
    hash: blake2b256(bytes),
    document: parsed.value as Record<string, unknown>,
    exactNumber(path) {
      let holder: unknown = parsed.value;
      for (const key of path.slice(0, -1)) holder = (holder as Record<string, unknown> | undefined)?.[key];
      if (typeof holder !== "object" || holder === null) return undefined;
      const text = parsed.byHolder.get(holder)?.get(path.at(-1)!);
      return text === undefined ? undefined : parseRational(text);
    },
  };
}

export function readShelleyGenesis(path: string): ShelleyGenesis {
  return parseShelleyGenesis(readInputFile(path, JSON_LIMIT), path);
}
