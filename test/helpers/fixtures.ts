import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const FIXTURES = fileURLToPath(new URL("../fixtures/", import.meta.url));

export function fixturePath(...parts: string[]): string {
  return join(FIXTURES, ...parts);
}

export function readFixture(...parts: string[]): Buffer {
  return readFileSync(fixturePath(...parts));
}

export function readFixtureJson<T = unknown>(...parts: string[]): T {
  return JSON.parse(readFixture(...parts).toString("utf8")) as T;
}

/** Files in a fixture folder whose names match `pattern`, sorted; fails loudly when there are none. */
export function fixtureFiles(folder: string, pattern: RegExp): string[] {
  const names = readdirSync(fixturePath(folder))
    .filter((n) => pattern.test(n))
    .sort();
  if (names.length === 0) throw new Error(`no fixtures matching ${pattern} in test/fixtures/${folder}`);
  return names;
}

export const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");
export const unhex = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text, "hex"));
