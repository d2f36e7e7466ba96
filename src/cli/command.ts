// A small declarative layer over node:util parseArgs: each command lists its flags once, and gets
// validation (unknown flag, missing flag, bad number) and its --help text from that list.
import { parseArgs } from "node:util";
import { InputError } from "../formats/errors.ts";

export interface FlagSpec {
  readonly type: "string" | "boolean";
  readonly required?: boolean;
  readonly description: string;
  /** Placeholder in usage text, e.g. FILE or N. */
  readonly value?: string;
}

export interface Output {
  out(line: string): void;
  err(line: string): void;
  readonly stderrIsTTY: boolean;
  progress(text: string): void;
}

export interface Command {
  /** Words after poolfleet-cli, e.g. ["node", "key-gen"]. */
  readonly path: readonly string[];
  readonly summary: string;
  readonly flags: Readonly<Record<string, FlagSpec>>;
  /** Words after the command path that are not flags, e.g. a pool name; all required. */
  readonly positionals?: readonly { readonly name: string; readonly description: string }[];
  readonly example: string;
  run(flags: Flags, io: Output): Promise<number> | number;
}

export class Flags {
  readonly #values: Record<string, string | boolean | undefined>;
  readonly #command: string;
  readonly #positionals: readonly string[];
  constructor(values: Record<string, string | boolean | undefined>, command: string, positionals: string[] = []) {
    this.#values = values;
    this.#command = command;
    this.#positionals = positionals;
  }
  /** The command's i-th positional word (parseFlags has checked they are all there). */
  positional(i: number): string {
    const v = this.#positionals[i];
    if (v === undefined) throw new InputError(this.#command, `missing argument ${i + 1}`);
    return v;
  }
  string(name: string): string {
    const v = this.#values[name];
    if (typeof v !== "string" || v === "") throw new InputError(`--${name}`, `is required by ${this.#command}`);
    return v;
  }
  optionalString(name: string): string | undefined {
    const v = this.#values[name];
    return typeof v === "string" ? v : undefined;
  }
  boolean(name: string): boolean {
    return this.#values[name] === true;
  }
  /** A non-negative whole number (slots, periods, counters). */
  natural(name: string): number {
    return parseNatural(this.string(name), `--${name}`);
  }
  optionalNatural(name: string): number | undefined {
    const v = this.optionalString(name);
    return v === undefined ? undefined : parseNatural(v, `--${name}`);
  }
}

export function parseNatural(text: string, where: string): number {
  const t = text.trim();
  if (/^-\d+$/.test(t)) throw new InputError(where, `${t} is negative; expected a whole number >= 0`);
  if (!/^\d+$/.test(t)) throw new InputError(where, `"${text}" is not a whole number >= 0`);
  // Compared exactly: Number() would round 9007199254740993 to a safe-looking neighbour.
  if (BigInt(t) > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new InputError(where, `${t} is too large (at most ${Number.MAX_SAFE_INTEGER})`);
  }
  return Number(t);
}

/**
 * parseArgs takes "--kes-period -1" for a flag without its value followed by an option "-1" ("argument is
 * ambiguous"). A value that reads as a negative number is joined to its flag (--kes-period=-1), so the flag's
 * own check can say what is wrong with it.
 */
function joinNegativeValues(command: Command, argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const next = argv[i + 1];
    const spec = arg.startsWith("--") ? command.flags[arg.slice(2)] : undefined;
    if (spec?.type === "string" && next !== undefined && /^-\d/.test(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else out.push(arg);
  }
  return out;
}

function parseArgsMessage(error: Error): string {
  const first = error.message.split(/\.\s/)[0]!;
  const ambiguous = /^Option '(--[^ ']+)[^']*' argument is ambiguous/.exec(first);
  if (ambiguous) return `${ambiguous[1]} needs a value (a value starting with "-" is written ${ambiguous[1]}=VALUE)`;
  return first.replace(/^Unknown option '(.*)'$/, "unknown option $1");
}

export function parseFlags(command: Command, argv: string[]): Flags {
  const options: Record<string, { type: "string" | "boolean" }> = {};
  for (const [name, spec] of Object.entries(command.flags)) options[name] = { type: spec.type };
  const name = command.path.join(" ");
  const expected = command.positionals ?? [];
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: joinNegativeValues(command, argv),
      options,
      strict: true,
      allowPositionals: expected.length > 0,
    }) as { values: Record<string, string | boolean | undefined>; positionals: string[] });
  } catch (error) {
    const msg = parseArgsMessage(error as Error);
    throw new InputError(name, `${msg} (see poolfleet-cli ${name} --help)`);
  }
  for (const [flag, spec] of Object.entries(command.flags)) {
    if (spec.required && (values[flag] === undefined || values[flag] === "")) {
      throw new InputError(name, `missing --${flag} (see poolfleet-cli ${name} --help)`);
    }
  }
  if (positionals.length !== expected.length) {
    const words = expected.map((p) => p.name).join(" ");
    throw new InputError(
      name,
      positionals.length < expected.length
        ? `missing ${expected[positionals.length]!.name} (usage: poolfleet-cli ${name} ${words} [flags])`
        : `unexpected "${positionals[expected.length]}" (usage: poolfleet-cli ${name} ${words} [flags])`,
    );
  }
  return new Flags(values, name, positionals);
}

export function usage(command: Command): string {
  const lines = [`poolfleet-cli ${command.path.join(" ")} — ${command.summary}`, ""];
  if (command.positionals?.length) {
    lines.push("Arguments:");
    for (const p of command.positionals) lines.push(`  ${p.name.padEnd(10)}${p.description}`);
    lines.push("");
  }
  lines.push("Flags:");
  const entries = Object.entries(command.flags);
  const width = Math.max(...entries.map(([n, s]) => n.length + (s.value ? s.value.length + 1 : 0))) + 4;
  for (const [flag, spec] of entries) {
    const left = `--${flag}${spec.value ? ` ${spec.value}` : ""}`;
    lines.push(`  ${left.padEnd(width)}${spec.required ? "" : "(optional) "}${spec.description}`);
  }
  lines.push("", "Example:", `  ${command.example}`);
  return lines.join("\n");
}
