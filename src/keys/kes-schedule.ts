// When a KES key expires and when to renew it, on cert-manager's model (notBefore / notAfter / renewalTime):
// the certificate's window comes from the network's genesis (maxKESEvolutions periods of slotsPerKESPeriod
// slots from the opcert's start period), never from a user setting. Pure: the clock is an argument, so tests
// and the controller's requeue timer see the same figures. kesWindow is the one window arithmetic (the
// consistency gate's kes-window check, the operator's status and `query kes-period-info` use it); kesSchedule
// adds renew-before and the reminder thresholds.
import { InputError } from "../formats/errors.ts";
import type { OperationalCertificate } from "../formats/opcert.ts";
import type { SlotClock } from "../formats/slot-clock.ts";

export const DAY_MS = 86_400_000;

export interface KesWindow {
  readonly current: number;
  readonly currentSlot: number;
  readonly start: number;
  /** First period the certificate no longer covers. */
  readonly end: number;
  readonly periodsLeft: number;
  readonly expiresAt: Date;
  readonly msLeft: number;
}

export function kesWindow(cert: Pick<OperationalCertificate, "kesPeriod">, clock: SlotClock, at: Date): KesWindow {
  const currentSlot = clock.slotAt(at.getTime());
  const current = clock.kesPeriodOfSlot(currentSlot);
  const start = cert.kesPeriod;
  const end = start + clock.genesis.maxKESEvolutions;
  const expiresAt = new Date(clock.timeOfKesPeriod(end));
  return {
    current,
    currentSlot,
    start,
    end,
    periodsLeft: Math.max(0, end - current),
    expiresAt,
    msLeft: expiresAt.getTime() - at.getTime(),
  };
}

export function formatDuration(ms: number): string {
  const sign = ms < 0 ? "-" : "";
  let s = Math.floor(Math.abs(ms) / 1000);
  const days = Math.floor(s / 86400);
  s -= days * 86400;
  const hours = Math.floor(s / 3600);
  s -= hours * 3600;
  const minutes = Math.floor(s / 60);
  if (days > 0) return `${sign}${days}d ${hours}h`;
  if (hours > 0) return `${sign}${hours}h ${minutes}m`;
  return `${sign}${minutes}m ${s - minutes * 60}s`;
}

/** How long before expiry to renew: a number of KES periods, or a duration. */
export type RenewBefore = { readonly periods: number } | { readonly ms: number };

/** seeds/000: "Set up KES key rotation reminders well before expiry (2 weeks in advance is a good practice)". */
export const DEFAULT_RENEW_BEFORE: RenewBefore = { ms: 14 * DAY_MS };
export const DEFAULT_REMINDER_DAYS: readonly number[] = [14, 7, 3, 1];

const UNIT_MS = { d: DAY_MS, h: 3_600_000, m: 60_000 } as const;

/**
 * renewBefore as the KesRotation spec states it: an integer is KES periods, a string is a duration such as
 * "14d", "336h" or "90m" (the CRD's own pattern).
 */
export function parseRenewBefore(value: number | string, where = "renewBefore"): RenewBefore {
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value) || value < 1)
      throw new InputError(where, `${value} KES periods: must be a whole number of periods, at least 1`);
    return { periods: value };
  }
  const m = /^([0-9]{1,4})(d|h|m)$/.exec(value);
  if (!m) throw new InputError(where, `"${value}" is not a duration such as 14d, 336h or 90m, nor a number of periods`);
  const ms = Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
  if (ms <= 0) throw new InputError(where, "must be longer than zero");
  return { ms };
}

export function parseReminderDays(days: readonly number[], where = "reminderDays"): number[] {
  for (const d of days)
    if (!Number.isFinite(d) || d <= 0) throw new InputError(where, `${d} days: a reminder threshold must be above 0`);
  return [...new Set(days)].sort((a, b) => b - a);
}

export type KesStatus = "valid" | "not-yet-valid" | "expired";

export interface KesSchedule {
  /** valid: the window covers now; not-yet-valid: the opcert starts in a later period; expired: it ended. */
  readonly status: KesStatus;
  readonly currentSlot: number;
  readonly currentPeriod: number;
  readonly startPeriod: number;
  /** First KES period the certificate no longer covers (start + maxKESEvolutions). */
  readonly endPeriod: number;
  /** Periods the certificate still covers counting the current one; 0 unless valid. */
  readonly periodsRemaining: number;
  readonly startsAt: Date;
  readonly expiresAt: Date;
  /** Milliseconds from now to expiry (negative once expired). */
  readonly msLeft: number;
  /** When renewal should begin. */
  readonly renewalTime: Date;
  /**
   * True when renewBefore is as long as the whole window, which would make every new certificate due at once; the
   * renewal time then falls two thirds of the way through the window instead (cert-manager's default rule).
   */
  readonly renewBeforeClamped: boolean;
  /** now >= renewalTime (an expired certificate is always due). */
  readonly rotationDue: boolean;
  /** Reminder thresholds (days) already reached, largest first; exactly at a threshold counts as reached. */
  readonly remindersCrossed: number[];
  /**
   * The next moment any figure here changes (next KES period, a reminder threshold, the renewal time, expiry):
   * when the controller should look again. Null once expired (nothing changes any more).
   */
  readonly nextChangeAt: Date | null;
}

export interface KesScheduleInput {
  readonly clock: SlotClock;
  readonly opcert: Pick<OperationalCertificate, "kesPeriod">;
  readonly now: Date;
  readonly renewBefore?: RenewBefore;
  readonly reminderDays?: readonly number[];
}

export function kesSchedule(input: KesScheduleInput): KesSchedule {
  const { clock, opcert, now } = input;
  const renewBefore = input.renewBefore ?? DEFAULT_RENEW_BEFORE;
  const thresholds = parseReminderDays(input.reminderDays ?? DEFAULT_REMINDER_DAYS);
  const w = kesWindow(opcert, clock, now);
  const status: KesStatus = w.current < w.start ? "not-yet-valid" : w.current >= w.end ? "expired" : "valid";
  const startsAt = new Date(clock.timeOfKesPeriod(w.start));
  const windowMs = w.expiresAt.getTime() - startsAt.getTime();
  let renewalMs: number;
  let clamped = false;
  if ("periods" in renewBefore) {
    if (renewBefore.periods >= clock.genesis.maxKESEvolutions) clamped = true;
    renewalMs = clock.timeOfKesPeriod(w.end - renewBefore.periods);
  } else {
    if (renewBefore.ms >= windowMs) clamped = true;
    renewalMs = w.expiresAt.getTime() - renewBefore.ms;
  }
  if (clamped) renewalMs = startsAt.getTime() + Math.floor((windowMs * 2) / 3);
  const renewalTime = new Date(renewalMs);
  const nowMs = now.getTime();
  const expiresMs = w.expiresAt.getTime();
  const upcoming = [
    clock.timeOfKesPeriod(w.current + 1),
    renewalMs,
    expiresMs,
    ...thresholds.map((days) => expiresMs - days * DAY_MS),
  ].filter((t) => t > nowMs);
  return {
    status,
    currentSlot: w.currentSlot,
    currentPeriod: w.current,
    startPeriod: w.start,
    endPeriod: w.end,
    periodsRemaining: status === "valid" ? w.end - w.current : 0,
    startsAt,
    expiresAt: w.expiresAt,
    msLeft: w.msLeft,
    renewalTime,
    renewBeforeClamped: clamped,
    rotationDue: status === "expired" || now.getTime() >= renewalMs,
    remindersCrossed: thresholds.filter((days) => w.msLeft <= days * DAY_MS),
    nextChangeAt: status === "expired" || upcoming.length === 0 ? null : new Date(Math.min(...upcoming)),
  };
}

/**
 * The reminder to send now, given the threshold sent last (status.lastReminderDays): the most urgent threshold
 * reached, if it is more urgent than the last one sent. One reminder per reconcile even when several thresholds
 * were passed while the operator was down. A last-sent threshold that is not reached now belongs to an earlier
 * certificate (a renewal happened), so it no longer suppresses anything.
 */
export function reminderToSend(schedule: KesSchedule, lastSentDays: number | undefined): number | undefined {
  const mostUrgent = schedule.remindersCrossed.at(-1);
  if (mostUrgent === undefined) return undefined;
  const last =
    lastSentDays !== undefined && schedule.remindersCrossed.includes(lastSentDays) ? lastSentDays : undefined;
  return last === undefined || mostUrgent < last ? mostUrgent : undefined;
}
