// robfig/cron v3 ParseStandard as Kubernetes validates and schedules CronJobs: the accepted syntax,
// robfig's exact error texts, and Next in UTC, in a named zone and across the dom/dow rule.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isValidTimeZone, parseGoDuration, parseStandardSchedule } from '../src/cron/index.ts';

const next = (spec: string, after: string, tz?: string) =>
  parseStandardSchedule(spec).next(new Date(after), tz).toISOString();

describe('parseStandardSchedule', () => {
  it('refuses what robfig refuses, with its messages', () => {
    const cases: [string, string][] = [
      ['', 'empty spec string'],
      ['* * * *', 'expected exactly 5 fields, found 4: [* * * *]'],
      ['0 0 * * * *', 'expected exactly 5 fields, found 6: [0 0 * * * *]'],
      ['60 * * * *', 'end of range (60) above maximum (59): 60'],
      ['* * 0 * *', 'beginning of range (0) below minimum (1): 0'],
      ['5-2 * * * *', 'beginning of range (5) beyond end of range (2): 5-2'],
      ['*/0 * * * *', 'step of range should be a positive number: */0'],
      ['1-2-3 * * * *', 'too many hyphens: 1-2-3'],
      ['*/2/3 * * * *', 'too many slashes: */2/3'],
      ['x * * * *', 'failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax'],
      ['* * * * 7', 'end of range (7) above maximum (6): 7'],
      ['* * * * L', 'failed to parse int from L: strconv.Atoi: parsing "L": invalid syntax'],
      ['@fortnightly', 'unrecognized descriptor: @fortnightly'],
      ['@every 5x', 'failed to parse duration @every 5x: time: unknown unit "x" in duration "5x"'],
      ['TZ=Mars/Olympus * * * * *', 'provided bad location Mars/Olympus: unknown time zone Mars/Olympus'],
    ];
    for (const [spec, message] of cases) {
      assert.throws(() => parseStandardSchedule(spec), { message }, spec);
    }
  });

  it('computes the next activation strictly after the given time', () => {
    assert.equal(next('*/1 * * * *', '2026-12-07T10:00:00Z'), '2026-12-07T10:01:00.000Z');
    assert.equal(next('*/15 * * * *', '2026-12-07T10:07:30Z'), '2026-12-07T10:15:00.000Z');
    assert.equal(next('30 2 * * MON-fri', '2026-12-05T00:00:00Z'), '2026-12-07T02:30:00.000Z');
    assert.equal(next('0 0 1 jan ?', '2026-06-01T00:00:00Z'), '2027-01-01T00:00:00.000Z');
    assert.equal(next('@hourly', '2026-12-07T10:59:59Z'), '2026-12-07T11:00:00.000Z');
    assert.equal(next('@weekly', '2026-12-07T10:00:00Z'), '2026-12-13T00:00:00.000Z');
    assert.equal(next('@every 90s', '2026-12-07T10:00:00.500Z'), '2026-12-07T10:01:30.000Z');
  });

  it('ORs day of month and day of week when both are restricted, ANDs them when either is a star', () => {
    // 13th of the month or a Friday: Friday 2026-12-11 comes before the 13th.
    assert.equal(next('0 0 13 * 5', '2026-12-07T00:00:00Z'), '2026-12-11T00:00:00.000Z');
    // */2 clears robfig's star bit, so this is "odd days or Fridays".
    assert.equal(next('0 0 */2 * 5', '2026-12-07T12:00:00Z'), '2026-12-09T00:00:00.000Z');
    assert.equal(next('0 0 * * 5', '2026-12-07T00:00:00Z'), '2026-12-11T00:00:00.000Z');
  });

  it('runs in a time zone, from the timeZone field or a TZ= prefix', () => {
    assert.equal(next('0 9 * * *', '2026-12-07T00:00:00Z', 'America/New_York'), '2026-12-07T14:00:00.000Z');
    assert.equal(next('0 9 * * *', '2026-07-07T00:00:00Z', 'America/New_York'), '2026-07-07T13:00:00.000Z');
    assert.equal(next('CRON_TZ=Asia/Tokyo 0 9 * * *', '2026-12-07T00:00:00Z'), '2026-12-08T00:00:00.000Z');
    assert.equal(parseStandardSchedule('TZ=Europe/Berlin @daily').location, 'Europe/Berlin');
  });

  it('accepts a date that never comes, whose next is invalid (robfig: the zero time)', () => {
    assert.ok(Number.isNaN(parseStandardSchedule('0 0 31 2 *').next(new Date()).getTime()));
  });
});

describe('isValidTimeZone and parseGoDuration', () => {
  it('knows IANA names and Go durations', () => {
    assert.equal(isValidTimeZone('Europe/Paris'), true);
    assert.equal(isValidTimeZone('UTC'), true);
    assert.equal(isValidTimeZone('Local'), false);
    assert.equal(isValidTimeZone('Nowhere/Special'), false);
    assert.equal(parseGoDuration('1h30m'), 5_400_000);
    assert.equal(parseGoDuration('1.5s'), 1500);
    assert.throws(() => parseGoDuration('10'), { message: 'time: missing unit in duration "10"' });
  });
});
