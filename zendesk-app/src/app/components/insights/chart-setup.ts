// [1] only the parts of Chart.js the two bar charts use are registered, so the rest of the library is
// tree-shaken out of the Insights chunk
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, Tooltip } from 'chart.js';
import { getColor } from '@zendeskgarden/react-theming';
import type { DefaultTheme } from 'styled-components';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Tooltip, Legend);

/** The outcomes a day's bar is stacked from, bottom up. */
export const DAY_OUTCOMES = ['approved', 'changed', 'rejected', 'expired', 'pending'] as const;
export type DayOutcome = (typeof DAY_OUTCOMES)[number];

/** Garden's colour variables per outcome: each follows the light or dark scheme, as the rest of the app. */
const OUTCOME_VARIABLES: Record<DayOutcome, string> = {
  approved: 'background.successEmphasis',
  changed: 'background.primaryEmphasis',
  rejected: 'background.dangerEmphasis',
  expired: 'background.warningEmphasis',
  pending: 'border.emphasis',
};

export const outcomeColor = (theme: DefaultTheme, outcome: DayOutcome): string =>
  getColor({ theme, variable: OUTCOME_VARIABLES[outcome] });

/** Axis text and grid lines in the theme's colours (Chart.js draws on a canvas: CSS does not reach it). */
export function axisColors(theme: DefaultTheme) {
  return {
    text: getColor({ theme, variable: 'foreground.subtle' }),
    grid: getColor({ theme, variable: 'border.subtle' }),
  };
}

/**
 * Whether this browser draws on a canvas: without a 2D context (jsdom in the tests) the figures keep their
 * caption and numbers table and Chart.js is not started, which would only fail there.
 */
export function canDrawCharts(): boolean {
  try {
    return document.createElement('canvas').getContext('2d') !== null;
  } catch {
    return false;
  }
}
