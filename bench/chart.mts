// The steps section's chart, drawn with Vega-Lite into an SVG (no canvas, no browser): each step's
// rate as a share of a plain COPY of the same file in the same run, per size, beside its target.
// An ES module: vega's node build uses top-level await, which the bench's CommonJS cannot load.
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

export interface ChartBar {
  step: string;
  rows: string;
  /** the step's rows/s as a percentage of COPY's rows/s in the same run */
  percentOfCopy: number;
}

export interface ChartTarget {
  step: string;
  percentOfCopy: number;
}

export async function stepsChartSvg(bars: ChartBar[], targets: ChartTarget[], title: string): Promise<string> {
  const steps = [...new Set(bars.map((bar) => bar.step))];
  const spec: TopLevelSpec = {
    title: { text: title, fontSize: 13 },
    width: 560,
    height: 260,
    layer: [
      {
        data: { values: bars },
        mark: { type: 'bar', tooltip: true },
        encoding: {
          x: { field: 'step', type: 'nominal', sort: steps, axis: { labelAngle: -20, title: null } },
          xOffset: { field: 'rows', type: 'nominal' },
          y: { field: 'percentOfCopy', type: 'quantitative', title: '% of raw COPY rows/s (same run)' },
          color: { field: 'rows', type: 'nominal', title: 'rows' },
        },
      },
      {
        data: { values: targets },
        mark: { type: 'tick', color: '#d62728', thickness: 2, size: 40 },
        encoding: {
          x: { field: 'step', type: 'nominal', sort: steps },
          y: { field: 'percentOfCopy', type: 'quantitative' },
        },
      },
    ],
  };
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  return view.toSVG();
}
