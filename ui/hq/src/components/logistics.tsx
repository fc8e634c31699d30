// Small pieces the Replenishment, Shipments and Live map pages share: the
// status badge, order lines as text, the ETA text and a receiving's
// shortage / damaged / extra table with the differences highlighted.

import "../logistics/logistics.css";

import { etaLabel, discrepanciesOf, receivingTotals, statusTone } from "../logistics/logic";
import type { Lifecycle, OrderLine, ReceivingJson } from "../logistics/types";
import { Badge, dynKey, useNum, useSession } from "./ui";

export function StatusBadge({ status, testid }: { status: Lifecycle; testid?: string }) {
  const { t } = useSession();
  return (
    <span data-testid={testid} data-status={status}>
      <Badge tone={statusTone(status)}>{t(dynKey(`logi.status.${status}`))}</Badge>
    </span>
  );
}

/** `SKU ×3, SKU2 ×1` (names when known, in the title). */
export function LinesText({ lines, names, max = 3 }: { lines: OrderLine[]; names?: Record<string, string>; max?: number }) {
  const num = useNum();
  const shown = lines.slice(0, max).map((l) => `${l.sku} ×${num(l.qty)}`);
  const more = lines.length - max;
  const title = lines.map((l) => `${l.sku}${names?.[l.sku] ? ` ${names[l.sku]}` : ""} ×${l.qty}`).join("\n");
  return (
    <span class="small mono" title={title}>
      {shown.join(", ")}
      {more > 0 ? ` +${more}` : ""}
    </span>
  );
}

/** `in ~12 min` (or arriving / —), from an ETA and now. */
export function EtaText({ etaMs, now, testid }: { etaMs: number | null | undefined; now: number; testid?: string }) {
  const { t } = useSession();
  const m = etaLabel(etaMs, now);
  return (
    <span data-testid={testid} data-eta={etaMs ?? ""}>
      {t(m.key, m.vars)}
    </span>
  );
}

/** Shortage / damaged / extra units of a receiving as badges (or "exact"). */
export function DiscrepancyBadges({ r }: { r: ReceivingJson }) {
  const { t } = useSession();
  const num = useNum();
  const tot = receivingTotals(r);
  if (!r.has_discrepancy && tot.shortage + tot.damaged + tot.extra === 0) {
    return <Badge tone="good">{t("logi.recv.exact")}</Badge>;
  }
  return (
    <span class="badges" data-testid="discrepancy-badges" data-shortage={tot.shortage} data-damaged={tot.damaged} data-extra={tot.extra}>
      {tot.shortage > 0 && <Badge tone="bad">{t("logi.recv.shortage_n", { n: num(tot.shortage) })}</Badge>}
      {tot.damaged > 0 && <Badge tone="warn">{t("logi.recv.damaged_n", { n: num(tot.damaged) })}</Badge>}
      {tot.extra > 0 && <Badge tone="info">{t("logi.recv.extra_n", { n: num(tot.extra) })}</Badge>}
    </span>
  );
}

/** A receiving's lines: expected vs counted, the differences highlighted. */
export function ReceivingLines({ r, names }: { r: ReceivingJson; names?: Record<string, string> }) {
  const { t } = useSession();
  const num = useNum();
  return (
    <div class="table-wrap">
      <table class="table recv-lines" data-testid={`receiving-lines-${r.id}`}>
        <thead>
          <tr>
            <th>{t("common.sku")}</th>
            <th class="ta-right">{t("logi.recv.expected")}</th>
            <th class="ta-right">{t("logi.recv.received")}</th>
            <th class="ta-right">{t("logi.recv.damaged")}</th>
            <th class="ta-right">{t("logi.recv.shortage")}</th>
            <th class="ta-right">{t("logi.recv.extra")}</th>
          </tr>
        </thead>
        <tbody>
          {r.lines.map((l) => {
            const kinds = discrepanciesOf(l);
            return (
              <tr key={l.sku} class={kinds.map((k) => `recv-${k}`).join(" ")} data-testid={`receiving-line-${l.sku}`} data-kinds={kinds.join(",")}>
                <td>
                  <span class="mono">{l.sku}</span> {names?.[l.sku] && <span class="muted small">{names[l.sku]}</span>}
                </td>
                <td class="ta-right">{num(l.expected)}</td>
                <td class="ta-right">{num(l.received)}</td>
                <td class={`ta-right ${l.damaged > 0 ? "cell-warn" : ""}`}>{num(l.damaged)}</td>
                <td class={`ta-right ${l.shortage > 0 ? "cell-bad" : ""}`}>{num(l.shortage)}</td>
                <td class={`ta-right ${l.extra > 0 ? "cell-info" : ""}`}>{num(l.extra)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
