import { Bar } from 'react-chartjs-2';
import { useTheme } from 'styled-components';
import type { InsightDay, InsightTotals } from '@cheqpoint/shared';
import { ChartFigure } from './ChartFigure';
import { axisColors, DAY_OUTCOMES, outcomeColor, type DayOutcome } from './chart-setup';
import type { InsightsKey, InsightsTranslate } from './insights-i18n';
import { formatCount, formatDay } from './insights-format';

const OUTCOME_LABELS: Record<DayOutcome, InsightsKey> = {
  approved: 'outcome_approved',
  changed: 'outcome_changed',
  rejected: 'outcome_rejected',
  expired: 'outcome_expired',
  pending: 'outcome_pending',
};

/** A day's requests by outcome; what is neither decided nor expired is still pending. */
export function dayOutcomes(day: InsightDay): Record<DayOutcome, number> {
  const decided = day.approved + day.approvedWithChanges + day.rejected + day.expired;
  return {
    approved: day.approved,
    changed: day.approvedWithChanges,
    rejected: day.rejected,
    expired: day.expired,
    pending: Math.max(0, day.requests - decided),
  };
}

export interface IDailyChartProps {
  totals: InsightTotals;
  locale: string;
  tr: InsightsTranslate;
}

/** Requests per day of the period, each bar stacked by outcome (bottom up: approved … pending). */
export function DailyChart({ totals, locale, tr }: IDailyChartProps) {
  const theme = useTheme();
  const colors = axisColors(theme);
  const days = totals.daily.map((day) => ({ day: day.day, outcomes: dayOutcomes(day) }));
  const first = totals.daily[0]?.day;
  const last = totals.daily[totals.daily.length - 1]?.day;
  const summary = tr('daily_caption', {
    requests: formatCount(totals.requests, locale),
    from: first ? formatDay(first, locale, true) : '',
    to: last ? formatDay(last, locale, true) : '',
    approved: formatCount(totals.approved, locale),
    changed: formatCount(totals.approvedWithChanges, locale),
    rejected: formatCount(totals.rejected, locale),
    expired: formatCount(totals.expired, locale),
    pending: formatCount(totals.pending, locale),
  });
  return (
    <ChartFigure
      testId="insights-daily-chart"
      title={tr('daily_title')}
      summary={summary}
      columns={[tr('col_day'), tr('col_requests'), ...DAY_OUTCOMES.map((o) => tr(OUTCOME_LABELS[o]))]}
      rows={totals.daily.map((day, i) => [
        formatDay(day.day, locale, true),
        formatCount(day.requests, locale),
        ...DAY_OUTCOMES.map((o) => formatCount(days[i]?.outcomes[o] ?? 0, locale)),
      ])}
    >
      {(labelledBy) => (
        <Bar
          role="img"
          aria-labelledby={labelledBy}
          data={{
            labels: days.map(({ day }) => formatDay(day, locale)),
            datasets: DAY_OUTCOMES.map((outcome) => ({
              label: tr(OUTCOME_LABELS[outcome]),
              data: days.map(({ outcomes }) => outcomes[outcome]),
              backgroundColor: outcomeColor(theme, outcome),
              stack: 'requests',
            })),
          }}
          options={{
            animation: false,
            maintainAspectRatio: false,
            locale,
            color: colors.text,
            scales: {
              x: {
                stacked: true,
                ticks: { color: colors.text, maxRotation: 0, autoSkip: true },
                grid: { display: false },
              },
              y: {
                stacked: true,
                beginAtZero: true,
                ticks: { color: colors.text, precision: 0 },
                grid: { color: colors.grid },
              },
            },
            plugins: { legend: { position: 'bottom', labels: { color: colors.text, boxWidth: 12 } } },
          }}
        />
      )}
    </ChartFigure>
  );
}
