/**
 * The time source of everything that decides or records when something happened (deadlines, auth_time,
 * ledger times, expiries). One clock is passed down from `stepUp()`, so tests can move it for all of them.
 */
export type Clock = () => Date;

/** The wall clock. */
export const systemClock: Clock = () => new Date();
