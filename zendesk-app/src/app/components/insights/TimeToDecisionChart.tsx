import { Bar } from 'react-chartjs-2';
import { useTheme } from 'styled-components';
import type { TimeToDecision } from '@cheqpoint/shared';
import { ChartFigure } from './ChartFigure';
import { axisColors, outcomeColor } from './chart-setup';
import type { InsightsTranslate } from './insights-i18n';
import { formatCount, formatDuration } from './insights-format';

/** A bucket's label: `≤ 5 sec`, …, and the last one `> 3 days` (above the highest bound). */
export function bucketLabel(
  bucket: TimeToDecision['buckets'][number],
  highestBound: number,
  locale: string,
  tr: InsightsTranslate,
): string {
  return bucket.leSeconds === null
    ? tr('bucket_over', { bound: formatDuration(highestBound, locale) ?? '' })
    : tr('bucket_within', { bound: formatDuration(bucket.leSeconds, locale) ?? '' });
}

export interface ITimeToDecisionChartProps {
  timeToDecision: TimeToDecision;
  locale: string;
  tr: InsightsTranslate;
}

/** People's decisions by how long they took, one bar per histogram bucket. */
export function TimeToDecisionChart({ timeToDecision, locale, tr }: ITimeToDecisionChartProps) {
  const theme = useTheme();
  const colors = axisColors(theme);
  const { buckets, count, p50Seconds, p90Seconds } = timeToDecision;
  const highestBound = Math.max(0, ...buckets.map((b) => b.leSeconds ?? 0));
  const labels = buckets.map((bucket) => bucketLabel(bucket, highestBound, locale, tr));
  const summary =
    count === 0
      ? tr('ttd_caption_none')
      : tr('ttd_caption', {
          count: formatCount(count, locale),
          p50: formatDuration(p50Seconds, locale) ?? '',
          p90: formatDuration(p90Seconds, locale) ?? '',
        });
  return (
    <ChartFigure
      testId="insights-ttd-chart"
      title={tr('ttd_title')}
      summary={summary}
      columns={[tr('col_bucket'), tr('col_decisions')]}
      rows={buckets.map((bucket, i) => [labels[i] ?? '', formatCount(bucket.count, locale)])}
    >
      {(labelledBy) => (
        <Bar
          role="img"
          aria-labelledby={labelledBy}
          data={{
            labels,
            datasets: [
              {
                label: tr('col_decisions'),
                data: buckets.map((bucket) => bucket.count),
                backgroundColor: outcomeColor(theme, 'changed'),
              },
            ],
          }}
          options={{
            animation: false,
            maintainAspectRatio: false,
            locale,
            color: colors.text,
            scales: {
              x: { ticks: { color: colors.text, maxRotation: 0, autoSkip: true }, grid: { display: false } },
              y: { beginAtZero: true, ticks: { color: colors.text, precision: 0 }, grid: { color: colors.grid } },
            },
            plugins: { legend: { display: false } },
          }}
        />
      )}
    </ChartFigure>
  );
}
