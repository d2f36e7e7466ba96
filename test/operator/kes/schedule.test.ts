// The KES schedule with a clock the test moves: window, expiry, renewal time, reminder thresholds, and the edges
// (exactly at a threshold, expired, a certificate that starts in the future, renewBefore longer than the window).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { testGenesis } from "./test-genesis.ts";
import { InputError } from "../../../src/formats/errors.ts";
import { readShelleyGenesis } from "../../../src/formats/genesis.ts";
import { SlotClock } from "../../../src/formats/slot-clock.ts";
import {
  DAY_MS,
  kesSchedule,
  parseRenewBefore,
  parseReminderDays,
  reminderToSend,
} from "../../../src/keys/kes-schedule.ts";
import { fixturePath } from "../../helpers/fixtures.ts";

const START = Date.parse("2026-01-01T00:00:00Z");
const PERIOD_MS = 129_600_000; // 129600 one-second slots: mainnet's 36-hour KES period

const genesis = testGenesis;

const clock = new SlotClock(genesis());
// An opcert starting at period 10: valid from START + 10 periods to START + 72 periods (93 days).
const opcert = { kesPeriod: 10 };
const startsAt = START + 10 * PERIOD_MS;
const expiresAt = START + 72 * PERIOD_MS;
const at = (ms: number) => kesSchedule({ clock, opcert, now: new Date(ms) });

describe("kesSchedule", () => {
  it("at the certificate's start: the whole window, nothing due, no reminder", () => {
    const s = at(startsAt);
    assert.equal(s.status, "valid");
    assert.equal(s.currentPeriod, 10);
    assert.equal(s.currentSlot, 10 * 129600);
    assert.equal(s.startPeriod, 10);
    assert.equal(s.endPeriod, 72);
    assert.equal(s.periodsRemaining, 62);
    assert.equal(s.startsAt.getTime(), startsAt);
    assert.equal(s.expiresAt.getTime(), expiresAt);
    assert.equal(s.expiresAt.getTime() - s.startsAt.getTime(), 93 * DAY_MS);
    assert.equal(s.renewalTime.getTime(), expiresAt - 14 * DAY_MS, "default renewBefore is 14 days");
    assert.equal(s.renewBeforeClamped, false);
    assert.equal(s.rotationDue, false);
    assert.deepEqual(s.remindersCrossed, []);
    assert.equal(s.nextChangeAt?.getTime(), startsAt + PERIOD_MS, "next: the next KES period");
  });

  it("moves through the thresholds: one millisecond before 14 days nothing, exactly at 14 days the first", () => {
    const before = at(expiresAt - 14 * DAY_MS - 1);
    assert.deepEqual(before.remindersCrossed, []);
    assert.equal(before.rotationDue, false);
    assert.equal(before.nextChangeAt?.getTime(), expiresAt - 14 * DAY_MS, "next: the 14-day threshold");
    const exactly = at(expiresAt - 14 * DAY_MS);
    assert.deepEqual(exactly.remindersCrossed, [14]);
    assert.equal(exactly.rotationDue, true, "renewal time is exactly expiry minus 14 days");
    assert.deepEqual(at(expiresAt - 7 * DAY_MS).remindersCrossed, [14, 7]);
    assert.deepEqual(at(expiresAt - 3 * DAY_MS + 1).remindersCrossed, [14, 7, 3]);
    assert.deepEqual(at(expiresAt - DAY_MS - 1).remindersCrossed, [14, 7, 3]);
    const lastDay = at(expiresAt - DAY_MS);
    assert.deepEqual(lastDay.remindersCrossed, [14, 7, 3, 1]);
    assert.equal(lastDay.status, "valid");
    // The last period began 36 h before expiry, so nothing changes until expiry itself.
    assert.equal(lastDay.nextChangeAt?.getTime(), expiresAt);
  });

  it("periods remaining counts the current period, and drops at each boundary", () => {
    assert.equal(at(startsAt + PERIOD_MS - 1).periodsRemaining, 62);
    assert.equal(at(startsAt + PERIOD_MS).periodsRemaining, 61);
    const last = at(expiresAt - 1);
    assert.equal(last.status, "valid");
    assert.equal(last.currentPeriod, 71);
    assert.equal(last.periodsRemaining, 1);
    assert.equal(last.msLeft, 1);
  });

  it("exactly at expiry the certificate is expired: 0 periods, due, every reminder reached, nothing further", () => {
    for (const now of [expiresAt, expiresAt + 5 * DAY_MS]) {
      const s = at(now);
      assert.equal(s.status, "expired");
      assert.equal(s.periodsRemaining, 0);
      assert.equal(s.rotationDue, true);
      assert.deepEqual(s.remindersCrossed, [14, 7, 3, 1]);
      assert.equal(s.msLeft, expiresAt - now);
      assert.equal(s.nextChangeAt, null);
    }
  });

  it("an opcert starting in the future is not yet valid and not due (a wrong offline clock, seeds/000)", () => {
    const s = at(startsAt - 1);
    assert.equal(s.status, "not-yet-valid");
    assert.equal(s.currentPeriod, 9);
    assert.equal(s.periodsRemaining, 0);
    assert.equal(s.rotationDue, false);
    assert.deepEqual(s.remindersCrossed, []);
    assert.equal(s.nextChangeAt?.getTime(), startsAt, "next: the period it starts in");
    const far = kesSchedule({ clock, opcert: { kesPeriod: 500 }, now: new Date(startsAt) });
    assert.equal(far.status, "not-yet-valid");
  });

  it("renewBefore in KES periods renews that many periods before the end", () => {
    const s = kesSchedule({ clock, opcert, now: new Date(startsAt), renewBefore: { periods: 8 } });
    assert.equal(s.renewalTime.getTime(), START + 64 * PERIOD_MS);
    const atMs = (ms: number) => kesSchedule({ clock, opcert, now: new Date(ms), renewBefore: { periods: 8 } });
    assert.equal(atMs(START + 64 * PERIOD_MS - 1).rotationDue, false);
    assert.equal(atMs(START + 64 * PERIOD_MS).rotationDue, true);
    assert.equal(atMs(START + 64 * PERIOD_MS).periodsRemaining, 8);
  });

  it("renewBefore longer than the window renews two thirds through instead of at once (a short devnet window)", () => {
    // A devnet: 0.2 s slots, 20-slot periods, 62 periods = 248 s of validity, far shorter than 14 days.
    const devnet = new SlotClock(genesis({ slotLength: 0.2, slotsPerKESPeriod: 20 }));
    const s = kesSchedule({ clock: devnet, opcert: { kesPeriod: 3 }, now: new Date(START + 3 * 4000) });
    assert.equal(s.expiresAt.getTime(), START + 65 * 4000);
    assert.equal(s.renewBeforeClamped, true);
    assert.equal(s.renewalTime.getTime(), START + 3 * 4000 + Math.floor((248_000 * 2) / 3));
    assert.equal(s.rotationDue, false, "a fresh certificate is not due at once");
    const periods = kesSchedule({
      clock: devnet,
      opcert: { kesPeriod: 3 },
      now: new Date(START + 3 * 4000),
      renewBefore: { periods: 62 },
    });
    assert.equal(periods.renewBeforeClamped, true);
    const fits = kesSchedule({
      clock: devnet,
      opcert: { kesPeriod: 3 },
      now: new Date(START),
      renewBefore: { ms: 60_000 },
    });
    assert.equal(fits.renewBeforeClamped, false);
    assert.equal(fits.renewalTime.getTime(), START + 65 * 4000 - 60_000);
  });

  it("mainnet: KES periods count slots from the Byron start (checked against hand arithmetic)", () => {
    const mainnet = new SlotClock(readShelleyGenesis(fixturePath("genesis", "mainnet-shelley-genesis.json")));
    // Shelley began at slot 4492800, 2020-07-29T21:44:51Z; one-second slots since.
    const now = Date.parse("2024-01-01T00:00:00Z");
    const slot = 4492800 + (now - Date.parse("2020-07-29T21:44:51Z")) / 1000;
    const period = Math.floor(slot / 129600);
    const s = kesSchedule({ clock: mainnet, opcert: { kesPeriod: period - 2 }, now: new Date(now) });
    assert.equal(s.currentSlot, slot);
    assert.equal(s.currentPeriod, period);
    assert.equal(s.periodsRemaining, 60);
    const endSlot = (period - 2 + 62) * 129600;
    assert.equal(s.expiresAt.getTime(), Date.parse("2020-07-29T21:44:51Z") + (endSlot - 4492800) * 1000);
  });
});

describe("reminderToSend", () => {
  it("sends each threshold once as the clock moves, the most urgent only after downtime, again after renewal", () => {
    let last: number | undefined;
    const sent: number[] = [];
    const step = (ms: number, kesPeriod = 10) => {
      const r = reminderToSend(kesSchedule({ clock, opcert: { kesPeriod }, now: new Date(ms) }), last);
      if (r !== undefined) sent.push((last = r));
      return r;
    };
    assert.equal(step(startsAt), undefined);
    assert.equal(step(expiresAt - 14 * DAY_MS), 14);
    assert.equal(step(expiresAt - 14 * DAY_MS + 1000), undefined, "not twice");
    assert.equal(step(expiresAt - 8 * DAY_MS), undefined);
    // The operator was down from 8 days to 2 days before expiry: one reminder, the 3-day one, not 7 and 3.
    assert.equal(step(expiresAt - 2 * DAY_MS), 3);
    assert.equal(step(expiresAt - DAY_MS), 1);
    assert.equal(step(expiresAt + DAY_MS), undefined, "expired: nothing more urgent than 1 day exists");
    assert.deepEqual(sent, [14, 3, 1]);
    // Renewed at period 70: the last-sent threshold (1) is not reached for the new certificate, so it resets.
    const newExpiry = START + 132 * PERIOD_MS;
    assert.equal(step(newExpiry - 20 * DAY_MS, 70), undefined);
    assert.equal(step(newExpiry - 14 * DAY_MS, 70), 14);
  });
});

describe("parsing renewBefore and reminder days", () => {
  it("reads durations and periods as the KesRotation spec states them", () => {
    assert.deepEqual(parseRenewBefore("14d"), { ms: 14 * DAY_MS });
    assert.deepEqual(parseRenewBefore("336h"), { ms: 14 * DAY_MS });
    assert.deepEqual(parseRenewBefore("90m"), { ms: 90 * 60_000 });
    assert.deepEqual(parseRenewBefore(8), { periods: 8 });
  });

  it("refuses what is not a duration or a positive period count, saying where", () => {
    for (const bad of ["1w", "14", "0d", "-1d", "d", "14 d"]) {
      assert.throws(
        () => parseRenewBefore(bad, "spec.renewBefore"),
        (e: unknown) => e instanceof InputError && e.message.startsWith("spec.renewBefore: "),
        bad,
      );
    }
    for (const bad of [0, -3, 1.5]) assert.throws(() => parseRenewBefore(bad), InputError);
  });

  it("orders reminder days most distant first and refuses non-positive ones", () => {
    assert.deepEqual(parseReminderDays([1, 14, 7, 7, 3]), [14, 7, 3, 1]);
    assert.throws(() => parseReminderDays([7, 0]), /reminder threshold must be above 0/);
    const custom = kesSchedule({ clock, opcert, now: new Date(expiresAt - 2 * DAY_MS), reminderDays: [30, 2] });
    assert.deepEqual(custom.remindersCrossed, [30, 2]);
  });
});
