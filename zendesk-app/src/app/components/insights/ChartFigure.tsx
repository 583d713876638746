import { useId, useMemo, type ReactNode } from 'react';
import styled from 'styled-components';
import { getColor } from '@zendeskgarden/react-theming';
import { visuallyHidden } from '../visually-hidden';
import { canDrawCharts } from './chart-setup';

const Figure = styled.figure`
  margin: 0;
  min-width: 0;

  figcaption h3 {
    margin: 0 0 ${({ theme }) => theme.space.xxs};
    font-size: ${({ theme }) => theme.fontSizes.md};
    font-weight: ${({ theme }) => theme.fontWeights.semibold};
  }

  figcaption p {
    margin: 0 0 ${({ theme }) => theme.space.xs};
    color: ${({ theme }) => getColor({ theme, variable: 'foreground.subtle' })};
  }
`;

const Canvas = styled.div`
  position: relative;
  height: 220px;
`;

// [1] a block clips the table: a table takes its rows' height whatever its own height says, so a hidden
// table (90 rows for 90 days) left that much empty page to scroll below the tab's content
const HiddenNumbers = styled.div`
  ${visuallyHidden}
`;

export interface IChartFigureProps {
  title: string;
  /** The chart in one sentence: what a screen reader announces for the drawing. */
  summary: string;
  /** Column headers of the numbers table, then one row per bar. */
  columns: string[];
  rows: (string | number)[][];
  /** The chart itself (a canvas), given the id of the caption that names it. */
  children: (labelledBy: string) => ReactNode;
  testId?: string;
}

/**
 * A chart with its text alternative: a visible title and summary as the figure's caption (the canvas is an
 * image labelled by it), and every number it draws in a table only screen readers see.
 */
export function ChartFigure({ title, summary, columns, rows, children, testId }: IChartFigureProps) {
  const captionId = useId();
  const canDraw = useMemo(canDrawCharts, []);
  return (
    <Figure data-testid={testId}>
      <figcaption id={captionId}>
        <h3>{title}</h3>
        <p>{summary}</p>
      </figcaption>
      {canDraw && <Canvas>{children(captionId)}</Canvas>}
      <HiddenNumbers>
        <table>
          <caption>{title}</caption>
          <thead>
            <tr>
              {columns.map((column) => (
                <th key={column} scope="col">
                  {column}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map(([head, ...cells]) => (
              <tr key={String(head)}>
                <th scope="row">{head}</th>
                {cells.map((cell, i) => (
                  <td key={i}>{cell}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </HiddenNumbers>
    </Figure>
  );
}
