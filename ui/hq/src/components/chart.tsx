// Chart.js in a Preact component: the chart is created once and updated in
// place when its data changes (no flicker on live updates).

import {
  ArcElement,
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  type ChartConfiguration,
  DoughnutController,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from "chart.js";
import { useEffect, useRef } from "preact/hooks";

Chart.register(
  ArcElement,
  BarController,
  BarElement,
  CategoryScale,
  DoughnutController,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
);

Chart.defaults.font.family =
  '"Inter", "Noto Sans KR", "Noto Sans CJK KR", system-ui, -apple-system, "Segoe UI", sans-serif';
Chart.defaults.color = "#475569";
Chart.defaults.borderColor = "#e2e8f0";

export const PALETTE = ["#2563eb", "#94a3b8", "#0d9488", "#f59e0b", "#db2777", "#7c3aed", "#16a34a", "#ea580c"];

/** Any chart configuration (the page builds it with literal types). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyConfig = { type: ChartConfiguration["type"]; data: any; options?: any };

const BASE_OPTIONS = { responsive: true, maintainAspectRatio: false, animation: { duration: 250 } };

/**
 * Copy `next` into the chart's own data object: the labels, and each
 * dataset's fields onto the dataset already there. Replacing `chart.data`
 * (or a dataset object) makes Chart.js rebuild the bars and grow them from
 * zero on every live refetch; updating in place animates from the old values.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function patchData(current: { labels?: unknown[]; datasets: any[] }, next: { labels?: unknown[]; datasets: any[] }): void {
  current.labels = next.labels;
  next.datasets.forEach((ds, i) => {
    const mine = current.datasets[i];
    if (mine) Object.assign(mine, ds);
    else current.datasets.push({ ...ds });
  });
  current.datasets.length = next.datasets.length;
}

export function ChartView({ config, height = 260, testid }: { config: AnyConfig; height?: number; testid?: string }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const chart = useRef<Chart | null>(null);
  useEffect(() => {
    if (!canvas.current) return;
    chart.current = new Chart(canvas.current, {
      type: config.type,
      // a copy: patchData writes into it later
      data: { labels: config.data.labels, datasets: config.data.datasets.map((d: object) => ({ ...d })) },
      options: { ...BASE_OPTIONS, ...config.options },
    } as ChartConfiguration);
    return () => {
      chart.current?.destroy();
      chart.current = null;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [config.type]);
  useEffect(() => {
    const c = chart.current;
    if (!c) return;
    patchData(c.data, config.data);
    // options are rebuilt from plain objects (spreading `c.options`, a
    // Chart.js resolver, makes it warn "Ignoring resolver passed as options")
    if (config.options) c.options = { ...BASE_OPTIONS, ...config.options } as typeof c.options;
    c.update();
  }, [config]);
  return (
    <div class="chart" style={{ height: `${height}px` }} data-testid={testid}>
      <canvas ref={canvas} />
    </div>
  );
}
