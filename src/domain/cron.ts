/** The 5-field cron subset BACKUP_SCHEDULE takes, interpreted in UTC. */
export interface CronSchedule {
  readonly minutes: ReadonlySet<number>;
  readonly hours: ReadonlySet<number>;
  readonly days: ReadonlySet<number>;
  readonly months: ReadonlySet<number>;
  readonly weekdays: ReadonlySet<number>;
  readonly dayRestricted: boolean;
  readonly weekdayRestricted: boolean;
}

const ALIASES: Record<string, string> = {
  '@hourly': '0 * * * *',
  '@daily': '0 0 * * *',
  '@weekly': '0 0 * * 0',
  '@monthly': '0 0 1 * *',
};

function field(text: string, min: number, max: number, name: string): Set<number> {
  const values = new Set<number>();
  for (const part of text.split(',')) {
    const m = /^(\*|\d+(?:-\d+)?)(?:\/(\d+))?$/.exec(part);
    if (!m) throw new Error(`cron ${name}: cannot read ${JSON.stringify(part)}`);
    const step = m[2] ? Number(m[2]) : 1;
    let lo = min;
    let hi = max;
    if (m[1].includes('-')) [lo, hi] = m[1].split('-').map(Number);
    else if (m[1] !== '*') lo = hi = Number(m[1]);
    // "5/15" means every 15 starting at 5.
    if (m[2] && !m[1].includes('-') && m[1] !== '*') hi = max;
    if (lo < min || hi > max || lo > hi || step < 1) throw new Error(`cron ${name}: ${part} is outside ${min}-${max}`);
    for (let v = lo; v <= hi; v += step) values.add(v);
  }
  return values;
}

export function parseCron(expression: string): CronSchedule {
  const text = ALIASES[expression.trim()] ?? expression.trim();
  const parts = text.split(/\s+/);
  if (parts.length !== 5) throw new Error('cron: expected 5 fields (minute hour day month weekday)');
  const weekdays = field(parts[4], 0, 7, 'weekday');
  if (weekdays.has(7)) weekdays.add(0);
  return {
    minutes: field(parts[0], 0, 59, 'minute'),
    hours: field(parts[1], 0, 23, 'hour'),
    days: field(parts[2], 1, 31, 'day'),
    months: field(parts[3], 1, 12, 'month'),
    weekdays,
    dayRestricted: parts[2] !== '*',
    weekdayRestricted: parts[4] !== '*',
  };
}

/** The first whole minute strictly after `after` that the schedule fires on (UTC). */
export function nextRun(schedule: CronSchedule, after: Date): Date {
  const t = new Date(after.getTime());
  t.setUTCSeconds(0, 0);
  t.setUTCMinutes(t.getUTCMinutes() + 1);
  for (let i = 0; i < 366 * 24 * 60; i++) {
    const dayOk = schedule.days.has(t.getUTCDate());
    const weekdayOk = schedule.weekdays.has(t.getUTCDay());
    // Classic cron: when both day fields are restricted, either one matching is enough.
    const dateOk = schedule.dayRestricted && schedule.weekdayRestricted ? dayOk || weekdayOk : dayOk && weekdayOk;
    if (schedule.months.has(t.getUTCMonth() + 1) && dateOk && schedule.hours.has(t.getUTCHours()) && schedule.minutes.has(t.getUTCMinutes())) {
      return t;
    }
    t.setUTCMinutes(t.getUTCMinutes() + 1);
  }
  throw new Error('cron: the schedule never fires within a year');
}
