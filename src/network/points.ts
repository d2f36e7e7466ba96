// Points and tips as chain-sync and block-fetch carry them: a point is [] (origin) or [slot, hash]; a tip is
// [point, blockNo] (an empty chain's tip is [[], 0]).
import { bytesToHex } from "../crypto/bytes.ts";
import { encodeCbor } from "../codec/cbor.ts";
import { arrayOf, asBytes, asUint, decodeRaw, WireError, wire } from "./wire.ts";

export interface BlockPoint {
  readonly slot: bigint;
  readonly hash: Uint8Array;
}
export type Point = BlockPoint | "origin";

export interface Tip {
  readonly point: Point;
  readonly blockNo: bigint;
}

export const ORIGIN_TIP: Tip = { point: "origin", blockNo: 0n };

export function pointKey(point: Point): string {
  return point === "origin" ? "origin" : `${point.slot}.${bytesToHex(point.hash)}`;
}

export function samePoint(a: Point, b: Point): boolean {
  return pointKey(a) === pointKey(b);
}

export function encodePoint(point: Point): Uint8Array {
  return point === "origin" ? encodeCbor([]) : encodeCbor([point.slot, point.hash]);
}

export function decodePoint(raw: Uint8Array, what = "point"): Point {
  const items = arrayOf(raw, what);
  if (items.length === 0) return "origin";
  if (items.length !== 2) throw new WireError(`${what} is [] or [slot, hash]; got ${items.length} items`);
  const slot = wire(`${what} slot`, () => asUint(decodeRaw(items[0]!, `${what} slot`), `${what} slot`));
  const hash = wire(`${what} hash`, () => asBytes(decodeRaw(items[1]!, `${what} hash`), `${what} hash`, 32));
  return { slot, hash };
}

export function encodeTip(tip: Tip): Uint8Array {
  const point = encodePoint(tip.point);
  const blockNo = encodeCbor(tip.blockNo);
  const out = new Uint8Array(1 + point.length + blockNo.length);
  out[0] = 0x82;
  out.set(point, 1);
  out.set(blockNo, 1 + point.length);
  return out;
}

export function decodeTip(raw: Uint8Array): Tip {
  const items = arrayOf(raw, "tip");
  if (items.length !== 2) throw new WireError(`tip is [point, blockNo]; got ${items.length} items`);
  return {
    point: decodePoint(items[0]!, "tip point"),
    blockNo: wire("tip block number", () => asUint(decodeRaw(items[1]!, "tip block number"), "tip block number")),
  };
}

export function showPoint(point: Point): string {
  return point === "origin" ? "origin" : `${point.slot}/${bytesToHex(point.hash).slice(0, 16)}`;
}
