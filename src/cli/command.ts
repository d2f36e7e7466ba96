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
  if (!/^\d+$/.test(text.trim())) throw new InputError(where, `"${text}" is not a whole number >= 0`);
  const n = Number(text.trim());
  if (!Number.isSafeInteger(n)) throw new InputError(where, `${text} is too large`);
  return n;
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
      args: argv,
      options,
      strict: true,
      allowPositionals: expected.length > 0,
    }) as { values: Record<string, string | boolean | undefined>; positionals: string[] });
  } catch (error) {
    const msg = (error as Error).message.split(/\.\s/)[0]!.replace(/^Unknown option '(.*)'$/, "unknown option $1");
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
