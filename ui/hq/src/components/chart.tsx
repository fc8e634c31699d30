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

export function ChartView({ config, height = 260, testid }: { config: AnyConfig; height?: number; testid?: string }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const chart = useRef<Chart | null>(null);
  useEffect(() => {
    if (!canvas.current) return;
    chart.current = new Chart(canvas.current, {
      type: config.type,
      data: config.data,
      options: { responsive: true, maintainAspectRatio: false, animation: { duration: 250 }, ...config.options },
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
    c.data = config.data;
    if (config.options) c.options = { ...c.options, ...config.options } as typeof c.options;
    c.update();
  }, [config]);
  return (
    <div class="chart" style={{ height: `${height}px` }} data-testid={testid}>
      <canvas ref={canvas} />
    </div>
  );
}
